"""Discovering a Databricks workspace's serving endpoints as models, asked as the caller."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from tests.factories import add_api_key, make_actor, seed_database
from tests.support.app import make_settings
from tests.support.database import reset_database
from tests.support.web_servers import Answer, LocalServer, Recorded, serving

API = "/api/v1/models/discover"
OBO = {"X-Forwarded-Email": "ana@corp.example", "X-Forwarded-Access-Token": "dapi-obo-ana"}


def _endpoint(name: str, task: str | None, ready: str = "READY") -> dict[str, object]:
    """A serving endpoint as `GET /api/2.0/serving-endpoints` lists it."""
    body: dict[str, object] = {
        "name": name,
        "id": f"id-{name}",
        "creator": "admin@corp.example",
        "creation_timestamp": 1764800000000,
        "last_updated_timestamp": 1764800000000,
        "state": {"ready": ready, "config_update": "NOT_UPDATING"},
    }
    if task:
        body["task"] = task
    return body


ENDPOINTS = [
    _endpoint("databricks-claude-sonnet-4", "llm/v1/chat"),
    _endpoint("databricks-gte-large-en", "llm/v1/embeddings"),
    _endpoint("team-finetune", "llm/v1/chat", ready="NOT_READY"),
    _endpoint("churn-model", None),  # a classic ML model: no LLM task, not a model for Kasal
]


@pytest.fixture
def workspace() -> Iterator[LocalServer]:
    def answer(request: Recorded) -> Answer:
        if request.headers.get("authorization") == "Bearer expired":
            error = {"error_code": "UNAUTHENTICATED", "message": "Token is expired."}
            return 401, "application/json", json.dumps(error).encode(), {}
        return 200, "application/json", json.dumps({"endpoints": ENDPOINTS}).encode(), {}

    with serving({"/api/2.0/serving-endpoints": answer}) as server:
        yield server


@pytest.fixture
async def app_client(
    settings: Settings, tmp_path: Path, workspace: LocalServer
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(
        make_settings(
            settings.db_url, tmp_path, auth_mode="databricks", databricks_host=workspace.url
        )
    )
    async with app.router.lifespan_context(app):
        await seed_database(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http
        await reset_database(app)


def _bearers(workspace: LocalServer) -> set[str | None]:
    return {
        r.headers.get("authorization")
        for r in workspace.requests
        if r.path == "/api/2.0/serving-endpoints"
    }


async def test_the_signed_in_user_sees_the_endpoints_kasal_can_use(
    app_client: tuple[FastAPI, httpx.AsyncClient], workspace: LocalServer
) -> None:
    _, client = app_client
    response = await client.get(API, params={"provider": "databricks"}, headers=OBO)

    assert response.status_code == 200, response.text
    found = {m["name"]: m for m in response.json()["items"]}
    assert set(found) == {"databricks-claude-sonnet-4", "databricks-gte-large-en", "team-finetune"}
    assert found["databricks-claude-sonnet-4"] == {
        "name": "databricks-claude-sonnet-4",
        "kind": "chat",
        "task": "llm/v1/chat",
        "ready": True,
        "catalog_key": "databricks-claude-sonnet-4",
    }
    assert found["databricks-gte-large-en"]["kind"] == "embedding"
    assert (found["team-finetune"]["ready"], found["team-finetune"]["catalog_key"]) == (False, None)
    assert _bearers(workspace) == {"Bearer dapi-obo-ana"}  # asked as Ana, with her token
    assert "dapi-obo-ana" not in response.text


async def test_without_a_forwarded_token_the_groups_key_is_used(
    app_client: tuple[FastAPI, httpx.AsyncClient], workspace: LocalServer
) -> None:
    app, client = app_client
    actor = await make_actor(app, client)
    params = {"provider": "databricks"}

    missing = await client.get(API, params=params, headers=actor.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "missing_api_key")

    await add_api_key(client, actor, "databricks", "dapi-group-key")
    assert (await client.get(API, params=params, headers=actor.headers)).status_code == 200
    assert _bearers(workspace) == {"Bearer dapi-group-key"}


async def test_a_refused_token_and_bad_input_are_clear_errors(
    app_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = app_client
    expired = {**OBO, "X-Forwarded-Access-Token": "expired"}

    refused = await client.get(API, params={"provider": "databricks"}, headers=expired)
    assert refused.status_code == 502
    assert refused.json()["error"]["code"] == "workspace_refused"
    assert "expired" in refused.json()["error"]["message"].lower()

    other = await client.get(API, params={"provider": "openai"}, headers=OBO)
    assert other.status_code == 422
    assert (await client.get(API, headers=OBO)).status_code == 422


async def test_discovery_needs_the_workspace_url(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)

    response = await client.get(API, params={"provider": "databricks"}, headers=actor.headers)

    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "databricks_host_missing",
    )
