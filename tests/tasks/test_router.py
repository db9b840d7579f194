"""The task library: CRUD, search and pages, roles, and the wall between groups."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import Role
from tests.factories import Actor, add_to_group, make_actor, make_group

API = "/api/v1/tasks"
TASK = {
    "name": "Research",
    "description": "Research {topic}",
    "expected_output": "Ten facts",
    "tools": [{"tool_id": "current_datetime", "config": {}}],
    "output_format": "json",
    "output_schema": {"type": "object", "properties": {"facts": {"type": "array"}}},
    "markdown": True,
    "output_file": "output/facts.json",
}


async def _create(
    client: httpx.AsyncClient, actor: Actor, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post(API, json={**TASK, **fields}, headers=headers or actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_task_keeps_its_approval_settings(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    task = await _create(client, actor, human_input=True, approval={"question": "Good?"})
    assert task["approval"] == {
        "question": "Good?",
        "answers": ["approve", "reject", "reply"],
        "timeout_s": None,
        "on_timeout": "reject",
        "role": "operator",
    }
    bad = await client.post(API, json={**TASK, "approval": {"timeout_s": 0}}, headers=actor.headers)
    assert bad.status_code == 422


async def test_task_lifecycle(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    task = await _create(client, actor)
    assert task == {
        **TASK,
        "async_execution": False,
        "human_input": False,
        "approval": None,
        "id": task["id"],
        "created_at": task["created_at"],
        "updated_at": task["updated_at"],
    }
    assert "agent" not in task  # agents and context only exist inside a crew
    url = f"{API}/{task['id']}"
    assert (await client.get(url, headers=actor.headers)).json() == task
    replaced = await client.put(url, json={"name": "Write"}, headers=actor.headers)
    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["name"], body["tools"], body["output_schema"]) == ("Write", [], None)
    assert (await client.get(url, headers=actor.headers)).json() == body
    assert body["updated_at"] > body["created_at"]
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    gone = await client.get(url, headers=actor.headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "task_not_found")


async def test_tasks_are_searched_sorted_and_paged(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    names = ["delta", "alpha", "charlie", "bravo", "echo"]
    for name in names:
        await _create(client, actor, name=name)
    for sort, expected in (
        ("name", sorted(names)),
        ("-name", sorted(names, reverse=True)),
        ("updated_at", names),
    ):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort} | (
                {"cursor": cursor} if cursor else {}
            )
            page = (await client.get(API, params=params, headers=actor.headers)).json()
            seen += [t["name"] for t in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == expected
    found = await client.get(API, params={"q": "RAV"}, headers=actor.headers)
    assert [t["name"] for t in found.json()["items"]] == ["bravo"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "agent": "researcher"},
        {"name": "x", "context": ["a"]},
        {"name": "x", "output_format": "yaml"},
        {"name": "x" * 201},
        {"name": "x", "output_schema": "not an object"},
    ],
)
async def test_bad_tasks_are_422(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(API, json=body, headers=actor.headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("role", [Role.viewer, Role.operator])
async def test_viewers_and_operators_read_only(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    owner = await make_actor(app, client)
    member = await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, member.user, role)
    task = await _create(client, owner, owner.in_group(team))
    url = f"{API}/{task['id']}"
    headers = member.in_group(team)
    assert (await client.get(API, headers=headers)).json()["items"] == [task]
    assert (await client.get(url, headers=headers)).json() == task
    for method, target, body in (("POST", API, TASK), ("PUT", url, TASK), ("DELETE", url, None)):
        response = await client.request(method, target, json=body, headers=headers)
        assert response.status_code == 403, (method, target)
        assert response.json()["error"]["code"] == "insufficient_role"
    assert (await client.get(url, headers=owner.in_group(team))).json() == task


async def test_another_groups_task_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    task = await _create(client, owner)
    url = f"{API}/{task['id']}"
    for method, body in (("GET", None), ("PUT", {"name": "mine"}), ("DELETE", None)):
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "task_not_found"
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    other_group = await client.get(url, headers=stranger.in_group(owner.user.personal_group_id))
    assert other_group.json()["error"]["code"] == "group_not_found"
    assert (await client.get(url, headers=owner.headers)).json() == task
    missing = await client.get(f"{API}/{uuid.uuid4()}", headers=owner.headers)
    assert missing.status_code == 404
