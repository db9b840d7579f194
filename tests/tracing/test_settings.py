"""The tracing setting of a group: who may read and change it, and when it cannot be on."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from kasal.core.context import Role
from kasal.tracing.service import destination_label
from tests.factories import add_to_group, make_actor, make_group
from tests.support.mlflow_server import MlflowServer
from tests.support.server import LiveServer
from tests.tracing.conftest import EXPERIMENT, enable


async def test_without_a_tracking_server_tracing_cannot_be_enabled(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    read = await client.get("/api/v1/tracing", headers=actor.headers)
    body = {"enabled": True, "experiment_name": EXPERIMENT}
    refused = await client.put("/api/v1/tracing", json=body, headers=actor.headers)
    off = await client.put(
        "/api/v1/tracing", json={**body, "enabled": False}, headers=actor.headers
    )

    assert read.status_code == 200
    assert read.json() == {
        "available": False,
        "destination": None,
        "enabled": False,
        "experiment_name": None,
        "recent": [],
    }
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "tracing_unavailable"
    assert "KASAL_MLFLOW_TRACKING_URI" in refused.json()["error"]["message"]
    assert off.status_code == 200
    assert off.json()["enabled"] is False


async def test_an_editor_enables_it_and_the_answer_hides_the_token(
    app: FastAPI, client: httpx.AsyncClient, traced_live: LiveServer, mlflow: MlflowServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=traced_live.url) as http:
        body = await enable(http, actor)
        read = await http.get("/api/v1/tracing", headers=actor.headers)

    assert body == read.json()
    assert body["available"] is True
    assert body["enabled"] is True
    assert body["experiment_name"] == EXPERIMENT
    assert body["destination"] == destination_label(mlflow.url)
    assert "tracking-token" not in read.text


async def test_viewers_read_it_but_may_not_change_it(
    app: FastAPI, client: httpx.AsyncClient, traced_live: LiveServer
) -> None:
    owner = await make_actor(app, client)
    group = await make_group(client, owner)
    viewer = await make_actor(app, client)
    await add_to_group(app, group, viewer.user, Role.viewer)
    body = {"enabled": True, "experiment_name": EXPERIMENT}
    async with httpx.AsyncClient(base_url=traced_live.url) as http:
        changed = await http.put("/api/v1/tracing", json=body, headers=owner.in_group(group))
        read = await http.get("/api/v1/tracing", headers=viewer.in_group(group))
        refused = await http.put(
            "/api/v1/tracing", json={**body, "enabled": False}, headers=viewer.in_group(group)
        )

    assert changed.status_code == 200
    assert read.status_code == 200
    assert read.json()["enabled"] is True
    assert refused.status_code == 403


async def test_another_groups_setting_and_exports_are_not_found(
    app: FastAPI, client: httpx.AsyncClient, traced_live: LiveServer
) -> None:
    owner = await make_actor(app, client)
    group = await make_group(client, owner)
    stranger = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=traced_live.url) as http:
        await http.put(
            "/api/v1/tracing",
            json={"enabled": True, "experiment_name": "/Shared/theirs"},
            headers=owner.in_group(group),
        )
        read = await http.get("/api/v1/tracing", headers=stranger.in_group(group))
        change = await http.put(
            "/api/v1/tracing",
            json={"enabled": False, "experiment_name": "x"},
            headers=stranger.in_group(group),
        )
        own = await http.get("/api/v1/tracing", headers=stranger.headers)

    assert read.status_code == 404
    assert change.status_code == 404
    assert own.json()["enabled"] is False
    assert own.json()["experiment_name"] is None


async def test_bad_bodies_are_refused_with_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    for body in (
        {"enabled": True},
        {"enabled": True, "experiment_name": "   "},
        {"enabled": "sometimes", "experiment_name": "x"},
        {"enabled": False, "experiment_name": "x" * 501},
        {"enabled": False, "experiment_name": "x", "tracking_uri": "http://elsewhere"},
    ):
        response = await client.put("/api/v1/tracing", json=body, headers=actor.headers)
        assert response.status_code == 422, body
        assert "error" in response.json()
    unknown = await client.get("/api/v1/tracing/executions/not-a-uuid", headers=actor.headers)
    anonymous = await client.get("/api/v1/tracing")

    assert unknown.status_code == 422
    assert anonymous.status_code == 401


def test_the_destination_never_shows_credentials() -> None:
    assert destination_label("https://user:secret@mlflow.example.com:8443/x?token=t") == (
        "https://mlflow.example.com:8443"
    )
    assert destination_label("databricks") == "databricks"
    assert destination_label(None) is None
