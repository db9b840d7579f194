"""Numbers compared with 32-bit columns are bounded at the API: on PostgreSQL a bigger one
made the query fail (500). Found by the schemathesis run; pinned here on both databases."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kasal.core.db import MAX_INT
from tests.factories import crew_document, make_actor, make_crew


async def test_numbers_beyond_an_integer_column_are_invalid_not_a_crash(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document())
    inputs = {"topic": "a", "audience": "b"}
    run = await client.post(
        "/api/v1/executions", json={"crew_id": crew["id"], "inputs": inputs}, headers=actor.headers
    )
    assert run.status_code == 202, run.text

    def requests(number: int) -> list[tuple[str, str, object]]:
        crew_url, run_url = f"/api/v1/crews/{crew['id']}", f"/api/v1/executions/{run.json()['id']}"
        return [
            ("GET", f"{crew_url}/versions/{number}", None),
            ("POST", f"{crew_url}/versions/{number}/restore", None),
            ("GET", f"{run_url}/events?after={number}", None),
            ("POST", "/api/v1/executions", {"crew_id": crew["id"], "version": number}),
        ]

    for method, url, body in requests(MAX_INT + 1):
        response = await client.request(method, url, json=body, headers=actor.headers)
        assert response.status_code == 422, (method, url, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    for method, url, body in requests(MAX_INT):
        response = await client.request(method, url, json=body, headers=actor.headers)
        assert response.status_code in (200, 404), (method, url, response.text)
