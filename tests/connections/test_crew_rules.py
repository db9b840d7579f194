"""A crew's `sql_query` tool must name a connection of its group; a run gets only those."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from kasal.crews import document as documents
from kasal.crews.schemas import CrewBody
from kasal.engine.validate import connections_used
from tests.factories import crew_document, make_actor


def _crew_using(*names: str) -> dict[str, Any]:
    document = crew_document()
    document["agents"][0]["tools"] = [
        {"tool_id": "sql_query", "config": {"connection": name}} for name in names
    ]
    return document


async def test_a_crew_naming_a_missing_connection_has_a_problem_until_it_exists(
    app: FastAPI, client: httpx.AsyncClient, sqlite_shop: str
) -> None:
    actor = await make_actor(app, client)
    created = await client.post("/api/v1/crews", json=_crew_using("shop"), headers=actor.headers)
    [problem] = [p for p in created.json()["problems"] if p["code"] == "unknown_connection"]
    assert problem["pointer"] == "/agents/0/tools/0/config/connection"
    assert "Settings > Connections" in problem["message"]
    stranger = await make_actor(app, client)  # another group's connection does not count
    added = await client.post(
        "/api/v1/connections", json={"name": "shop", "url": sqlite_shop}, headers=stranger.headers
    )
    assert added.status_code == 201
    crew_url = f"/api/v1/crews/{created.json()['id']}"
    still = await client.get(crew_url, headers=actor.headers)
    assert "unknown_connection" in [p["code"] for p in still.json()["problems"]]
    await client.post(
        "/api/v1/connections", json={"name": "shop", "url": sqlite_shop}, headers=actor.headers
    )
    fixed = await client.get(crew_url, headers=actor.headers)
    assert "unknown_connection" not in [p["code"] for p in fixed.json()["problems"]]


def test_a_run_is_handed_only_the_connections_its_tools_name() -> None:
    document = _crew_using("sales", "hr")
    document["tasks"][0]["tools"] = [
        {"tool_id": "sql_query", "config": {"connection": "sales"}},
        {"tool_id": "sql_query", "config": {"connection": "Not A Name"}},  # invalid: left out
        {"tool_id": "http_request", "config": {}},
    ]
    spec = documents.to_spec(CrewBody.model_validate(document))
    assert connections_used(spec) == {"sales", "hr"}
