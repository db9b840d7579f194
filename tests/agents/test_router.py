"""The agent library: CRUD, search and pages, roles, and the wall between groups."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import Role
from tests.factories import Actor, add_to_group, make_actor, make_group

API = "/api/v1/agents"
AGENT = {
    "role": "Researcher",
    "goal": "Find facts about {topic}",
    "backstory": "Curious.",
    "llm": "demo",
    "tools": [{"tool_id": "http_request", "config": {"allowed_hosts": ["example.com"]}}],
    "max_iter": 5,
}


async def _create(
    client: httpx.AsyncClient, actor: Actor, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post(API, json={**AGENT, **fields}, headers=headers or actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_agent_lifecycle(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    agent = await _create(client, actor)
    assert agent == {
        **AGENT,
        "allow_delegation": False,
        "max_rpm": None,
        "max_execution_time": None,
        "reasoning": False,
        "verbose": False,
        "id": agent["id"],
        "created_at": agent["created_at"],
        "updated_at": agent["updated_at"],
    }
    assert "key" not in agent
    url = f"{API}/{agent['id']}"
    assert (await client.get(url, headers=actor.headers)).json() == agent
    replaced = await client.put(
        url, json={"role": "Writer", "goal": "Write"}, headers=actor.headers
    )
    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["role"], body["tools"], body["llm"], body["max_iter"]) == ("Writer", [], None, 20)
    assert (await client.get(url, headers=actor.headers)).json() == body
    assert body["updated_at"] > body["created_at"]
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    gone = await client.get(url, headers=actor.headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "agent_not_found")


async def test_agents_are_searched_sorted_and_paged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    roles = ["delta", "alpha", "charlie", "bravo", "echo"]
    for role in roles:
        await _create(client, actor, role=role)
    for sort, expected in (("role", sorted(roles)), ("-role", sorted(roles, reverse=True))):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort} | (
                {"cursor": cursor} if cursor else {}
            )
            page = (await client.get(API, params=params, headers=actor.headers)).json()
            seen += [a["role"] for a in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == expected
    found = await client.get(API, params={"q": "HARL"}, headers=actor.headers)
    assert [a["role"] for a in found.json()["items"]] == ["charlie"]


@pytest.mark.parametrize(
    "body",
    [
        {"role": "x", "key": "no-keys-here"},
        {"role": "x", "max_iter": 0},
        {"role": "x" * 1001},
        {"role": "x", "tools": [{"tool": "http_request"}]},
        {"role": "x", "unknown": 1},
    ],
)
async def test_bad_agents_are_422(
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
    agent = await _create(client, owner, owner.in_group(team))
    url = f"{API}/{agent['id']}"
    headers = member.in_group(team)
    assert (await client.get(API, headers=headers)).json()["items"] == [agent]
    assert (await client.get(url, headers=headers)).json() == agent
    for method, target, body in (
        ("POST", API, AGENT),
        ("PUT", url, AGENT),
        ("DELETE", url, None),
    ):
        response = await client.request(method, target, json=body, headers=headers)
        assert response.status_code == 403, (method, target)
        assert response.json()["error"]["code"] == "insufficient_role"
    assert (await client.get(url, headers=owner.in_group(team))).json() == agent


async def test_another_groups_agent_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    agent = await _create(client, owner)
    url = f"{API}/{agent['id']}"
    for method, body in (("GET", None), ("PUT", {"role": "mine"}), ("DELETE", None)):
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "agent_not_found"
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    other_group = await client.get(url, headers=stranger.in_group(owner.user.personal_group_id))
    assert other_group.json()["error"]["code"] == "group_not_found"
    assert (await client.get(url, headers=owner.headers)).json() == agent
    missing = await client.get(f"{API}/{uuid.uuid4()}", headers=owner.headers)
    assert missing.status_code == 404
