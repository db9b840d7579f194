"""Every save is a version; stale saves are refused; restore brings old content back."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from kasal.core.context import Role
from kasal.crews.models import CrewVersion
from tests.factories import add_to_group, crew_document, make_actor, make_crew, make_group

API = "/api/v1/crews"


async def test_every_save_is_a_numbered_immutable_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("V"))
    url = f"{API}/{crew['id']}"
    put = await client.put(url, json={**crew, "description": "two"}, headers=actor.headers)
    patched = await client.patch(
        url, json={"version": 2, "description": "three"}, headers=actor.headers
    )
    assert [put.json()["version"], patched.json()["version"]] == [2, 3]
    listed = (await client.get(f"{url}/versions", headers=actor.headers)).json()
    assert [v["version"] for v in listed["items"]] == [3, 2, 1]
    assert {v["author_email"] for v in listed["items"]} == {actor.user.email}
    assert listed["items"][0]["created_at"] == patched.json()["updated_at"]
    first = (await client.get(f"{url}/versions/1", headers=actor.headers)).json()
    assert first["version"] == 1
    assert first["description"] == crew["description"]
    assert first["agents"] == crew["agents"]
    assert first["edges"] == crew["edges"]
    assert first["author_email"] == actor.user.email
    missing = await client.get(f"{url}/versions/9", headers=actor.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "crew_version_not_found"


async def test_versions_page_through_newest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    for version in range(1, 6):
        await client.patch(
            f"{API}/{crew['id']}",
            json={"version": version, "max_rpm": version},
            headers=actor.headers,
        )
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await client.get(
            f"{API}/{crew['id']}/versions", params=params, headers=actor.headers
        )
        seen += [v["version"] for v in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    assert seen == [6, 5, 4, 3, 2, 1]


async def test_a_stale_save_is_a_conflict_naming_who_saved_and_when(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    colleague = await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, colleague.user, Role.editor)
    crew = await make_crew(client, owner, group_id=team)
    url = f"{API}/{crew['id']}"
    mine = await client.patch(
        url, json={"version": 1, "description": "mine"}, headers=colleague.in_group(team)
    )
    assert mine.status_code == 200
    for method, body in (
        ("PUT", {**crew, "description": "stale"}),
        ("PATCH", {"version": 1, "description": "stale"}),
        ("PATCH", {"version": 7, "description": "future"}),
    ):
        response = await client.request(method, url, json=body, headers=owner.in_group(team))
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "version_conflict"
        assert colleague.user.email in error["message"]
        assert mine.json()["updated_at"][:19] in error["message"]
        assert error["details"][0]["current_version"] == 2
    current = (await client.get(url, headers=owner.in_group(team))).json()
    assert (current["version"], current["description"]) == (2, "mine")


async def test_of_two_concurrent_saves_on_the_same_version_exactly_one_wins(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    url = f"{API}/{crew['id']}"
    for round_ in range(3):
        version = round_ + 1
        responses = await asyncio.gather(
            *(
                client.patch(
                    url,
                    json={"version": version, "description": f"edit {n}"},
                    headers=actor.headers,
                )
                for n in range(4)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409, 409, 409], [r.text for r in responses]
        assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
            "version_conflict"
        }
        winner = next(r.json() for r in responses if r.status_code == 200)
        assert winner["version"] == version + 1
    async with app.state.sessionmaker() as session:
        versions = await session.scalar(
            select(func.count())
            .select_from(CrewVersion)
            .where(CrewVersion.crew_id == uuid.UUID(str(crew["id"])))
        )
    assert versions == 4


async def test_restore_saves_the_old_content_as_a_new_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("Old name"))
    url = f"{API}/{crew['id']}"
    changed = await client.put(
        url,
        json={**crew, "name": "New name", "agents": [], "tasks": []},
        headers=actor.headers,
    )
    assert changed.json()["problems"]
    restored = await client.post(f"{url}/versions/1/restore", headers=actor.headers)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["version"] == 3
    assert body["name"] == "Old name"
    assert body["agents"] == crew["agents"]
    assert body["problems"] == []
    versions = (await client.get(f"{url}/versions", headers=actor.headers)).json()["items"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    guarded = await client.post(
        f"{url}/versions/2/restore", json={"version": 2}, headers=actor.headers
    )
    assert guarded.status_code == 409
    assert guarded.json()["error"]["code"] == "version_conflict"
    missing = await client.post(f"{url}/versions/42/restore", headers=actor.headers)
    assert missing.status_code == 404


async def test_a_restore_that_would_take_a_used_name_is_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("First"))
    url = f"{API}/{crew['id']}"
    await client.patch(url, json={"version": 1, "name": "Second"}, headers=actor.headers)
    await make_crew(client, actor, crew_document("First"))
    refused = await client.post(f"{url}/versions/1/restore", headers=actor.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "crew_name_taken"
