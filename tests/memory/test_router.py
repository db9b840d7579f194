"""The memory API over stores filled as a run fills them: list, search, delete, reset,
roles, and bad input answered with the one error shape."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from crewai.memory.types import MemoryRecord
from fastapi import FastAPI

from kasal.core.context import Role
from kasal.engine.embeddings import OfflineEmbedder
from kasal.engine.memory import to_record
from kasal.engine.vectors import LanceStore
from kasal.memory.folders import SharedScope, folder_for
from tests.executions.support import two_step_crew
from tests.factories import add_to_group, make_actor, make_group

OFFLINE = "wordllama-l2-256"
TEXTS = [
    "The spring tide at Saint-Malo rises thirteen metres.",
    "Our customer prefers reports in French.",
    "The quarterly budget review happens in March.",
]


async def crew_in(client: httpx.AsyncClient, headers: dict[str, str], scope: str) -> str:
    name = f"Crew {uuid.uuid4().hex[:8]}"
    body = {**two_step_crew("demo"), "name": name, "memory": scope, "embedder": OFFLINE}
    response = await client.post("/api/v1/crews", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["memory"] == scope
    return str(response.json()["id"])


def remember(app: FastAPI, group: uuid.UUID, scope: SharedScope, crew: str) -> list[str]:
    """The records a run of the crew would have saved, in its memory folder."""
    folder = folder_for(app.state.settings.data_dir, group, scope, uuid.UUID(crew))
    vectors = OfflineEmbedder(OFFLINE).embed(TEXTS)
    records = [MemoryRecord(content=t, embedding=v) for t, v in zip(TEXTS, vectors, strict=True)]
    LanceStore(folder).add([to_record(r, OFFLINE) for r in records])
    return [r.id for r in records]


async def test_list_search_delete_and_reset(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    headers = owner.in_group(team)
    crew = await crew_in(client, headers, "crew")
    ids = remember(app, team, "crew", crew)

    listed = await client.get("/api/v1/memory", params={"crew_id": crew}, headers=headers)
    found = await client.get(
        "/api/v1/memory",
        params={"crew_id": crew, "q": "how high does the tide rise", "limit": 2},
        headers=headers,
    )
    deleted = await client.delete(
        f"/api/v1/memory/{ids[1]}", params={"crew_id": crew}, headers=headers
    )
    again = await client.delete(
        f"/api/v1/memory/{ids[1]}", params={"crew_id": crew}, headers=headers
    )
    after = await client.get("/api/v1/memory", params={"crew_id": crew}, headers=headers)
    reset = await client.post(
        "/api/v1/memory/reset", json={"scope": "crew", "crew_id": crew}, headers=headers
    )
    empty = await client.get("/api/v1/memory", params={"crew_id": crew}, headers=headers)

    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 3
    assert {m["text"] for m in listed.json()["items"]} == set(TEXTS)
    hits = found.json()["items"]
    assert len(hits) == 2
    assert hits[0]["text"] == TEXTS[0]
    assert hits[0]["score"] >= hits[1]["score"]
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "memory_not_found"
    assert {m["id"] for m in after.json()["items"]} == {ids[0], ids[2]}
    assert reset.json() == {"scope": "crew", "deleted": 2}
    assert empty.json() == {"scope": "crew", "total": 0, "items": []}


async def test_group_scope_is_one_store_for_the_groups_crews(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    group = await make_group(client, owner)
    headers = owner.in_group(group)
    first = await crew_in(client, headers, "group")
    second = await crew_in(client, headers, "group")
    remember(app, group, "group", first)

    seen = await client.get("/api/v1/memory", params={"crew_id": second}, headers=headers)
    crew_own = await client.get(
        "/api/v1/memory", params={"crew_id": second, "scope": "crew"}, headers=headers
    )
    whole_group = await client.get("/api/v1/memory", params={"scope": "group"}, headers=headers)

    assert seen.json()["scope"] == "group"
    assert seen.json()["total"] == 3
    assert crew_own.json()["total"] == 0
    assert whole_group.json()["total"] == 3


async def test_viewers_read_editors_forget(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    crew = await crew_in(client, owner.in_group(team), "crew")
    ids = remember(app, team, "crew", crew)
    viewer = await make_actor(app, client)
    await add_to_group(app, team, viewer.user, Role.viewer)
    headers = viewer.in_group(team)

    read = await client.get("/api/v1/memory", params={"crew_id": crew}, headers=headers)
    delete = await client.delete(
        f"/api/v1/memory/{ids[0]}", params={"crew_id": crew}, headers=headers
    )
    reset = await client.post(
        "/api/v1/memory/reset", json={"scope": "crew", "crew_id": crew}, headers=headers
    )
    anonymous = await client.get("/api/v1/memory", params={"crew_id": crew})

    assert read.status_code == 200
    assert [delete.status_code, reset.status_code] == [403, 403]
    assert anonymous.status_code == 401


async def test_bad_input_gets_the_one_error_shape(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    crew = await crew_in(client, owner.headers, "crew")
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/memory", {}),
        ("GET", "/api/v1/memory", {"scope": "crew"}),
        ("GET", "/api/v1/memory", {"scope": "group", "q": "tide"}),
        ("GET", "/api/v1/memory", {"crew_id": "not-a-uuid"}),
        ("GET", "/api/v1/memory", {"crew_id": crew, "scope": "everything"}),
        ("GET", "/api/v1/memory", {"crew_id": crew, "limit": 0}),
        ("GET", "/api/v1/memory", {"crew_id": crew, "q": ""}),
    ]
    for method, url, params in cases:
        response = await client.request(method, url, params=params, headers=owner.headers)
        assert response.status_code == 422, (params, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}
    unknown = await client.get(
        "/api/v1/memory", params={"crew_id": str(uuid.uuid4())}, headers=owner.headers
    )
    extra = await client.post(
        "/api/v1/memory/reset",
        json={"scope": "crew", "crew_id": crew, "x": 1},
        headers=owner.headers,
    )
    assert unknown.status_code == 404
    assert extra.status_code == 422
