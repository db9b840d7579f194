"""Triggers: a secret shown once and stored hashed, fired by it alone (a good, a revoked and
a wrong one), the body as the run's inputs, rate-limited per trigger, scoped to the group."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kasal.core.context import Role
from kasal.executions.models import Execution
from kasal.triggers.service import FireLimiter
from tests.factories import Actor, add_to_group, make_actor, make_crew, make_group, seed_database

API = "/api/v1/triggers"
INPUTS = {"topic": "tides", "audience": "sailors"}


async def _trigger(app: FastAPI, client: httpx.AsyncClient) -> tuple[Actor, dict[str, Any]]:
    await seed_database(app)
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    response = await client.post(
        API, json={"crew_id": crew["id"], "name": "From CI"}, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return actor, created


async def _fire(
    client: httpx.AsyncClient, trigger: dict[str, Any], token: str | None, body: Any = INPUTS
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post(trigger["fire_url"], json=body, headers=headers)


async def test_the_secret_is_shown_once_and_stored_hashed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, created = await _trigger(app, client)
    token = created["token"]
    assert token.startswith("kasal_trg_")
    assert created["token_hint"] == token[: len("kasal_trg_") + 4]
    assert created["fire_url"] == f"{API}/{created['id']}/fire"
    for response in (
        await client.get(API, headers=actor.headers),
        await client.get(f"{API}/{created['id']}", headers=actor.headers),
    ):
        assert response.status_code == 200
        assert token not in response.text
    async with app.state.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT token_hash FROM triggers"))).scalar_one()
    assert stored == hashlib.sha256(token.encode()).hexdigest()


async def test_a_good_token_starts_a_run_with_the_body_as_inputs(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, created = await _trigger(app, client)
    response = await _fire(client, created, created["token"])
    assert response.status_code == 202, response.text
    run = response.json()
    assert (run["status"], run["inputs"], run["crew_id"]) == ("queued", INPUTS, created["crew_id"])
    async with app.state.sessionmaker() as session:
        execution = await session.get(Execution, uuid.UUID(run["id"]))
    assert execution is not None
    assert (execution.created_by, execution.group_id) == (
        actor.user.id,
        actor.user.personal_group_id,
    )
    read = (await client.get(f"{API}/{created['id']}", headers=actor.headers)).json()
    assert read["last_fired_at"] is not None


async def test_a_wrong_or_missing_token_starts_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, created = await _trigger(app, client)
    _, other = await _trigger(app, client)
    attempts = [
        await _fire(client, created, None),
        await _fire(client, created, "kasal_trg_" + "x" * 43),
        await _fire(client, created, other["token"]),  # another trigger's secret
        await _fire(client, created, actor.headers["Authorization"].split()[1]),  # a user's
        await _fire(client, {"fire_url": f"{API}/{uuid.uuid4()}/fire"}, created["token"]),
        await _fire(client, created, "kasal_trg_wrong", ["not", "inputs"]),  # auth comes first
    ]
    for response in attempts:
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_trigger_token"
    runs = await client.get("/api/v1/executions", headers=actor.headers)
    assert runs.json()["items"] == []


async def test_a_revoked_token_starts_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor, created = await _trigger(app, client)
    revoked = await client.post(f"{API}/{created['id']}/revoke", headers=actor.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    response = await _fire(client, created, created["token"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "trigger_revoked"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"topic": "tides"}, "missing_inputs"),
        ({"topic": {"nested": 1}, "audience": "x"}, "validation_error"),
        (["tides"], "validation_error"),
    ],
)
async def test_the_body_is_validated_like_a_users_request(
    app: FastAPI, client: httpx.AsyncClient, body: Any, code: str
) -> None:
    _, created = await _trigger(app, client)
    response = await _fire(client, created, created["token"], body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_fires_are_rate_limited_per_trigger(app: FastAPI, client: httpx.AsyncClient) -> None:
    _, created = await _trigger(app, client)
    _, other = await _trigger(app, client)
    configured = app.state.trigger_limiter
    app.state.trigger_limiter = FireLimiter("2/minute")
    try:
        fired = [(await _fire(client, created, created["token"])).status_code for _ in range(2)]
        limited = await _fire(client, created, created["token"])
        other_fired = await _fire(client, other, other["token"])
    finally:
        app.state.trigger_limiter = configured
    assert fired == [202, 202]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "trigger_rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert other_fired.status_code == 202


async def test_a_trigger_runs_as_its_owner_within_their_current_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed_database(app)
    admin = await make_actor(app, client)
    group = await make_group(client, admin)
    editor = await make_actor(app, client)
    await add_to_group(app, group, editor.user, Role.editor)
    crew = await make_crew(client, admin, group_id=group)
    created = (
        await client.post(
            API, json={"crew_id": crew["id"], "name": "x"}, headers=editor.in_group(group)
        )
    ).json()
    demoted = await client.patch(
        f"/api/v1/groups/{group}/members/{editor.user.id}",
        json={"role": "viewer"},
        headers=admin.headers,
    )
    assert demoted.status_code == 200, demoted.text
    response = await _fire(client, created, created["token"])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "trigger_owner_cannot_run"
    assert "is now a viewer" in response.json()["error"]["message"]


async def test_triggers_belong_to_their_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor, created = await _trigger(app, client)
    stranger = await make_actor(app, client)
    url = f"{API}/{created['id']}"
    for response in (
        await client.get(url, headers=stranger.headers),
        await client.post(f"{url}/revoke", headers=stranger.headers),
        await client.delete(url, headers=stranger.headers),
    ):
        assert response.status_code == 404, response.text
    refused = await client.post(
        API, json={"crew_id": created["crew_id"], "name": "x"}, headers=stranger.headers
    )
    assert refused.status_code == 404
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    assert (await _fire(client, created, created["token"])).status_code == 401
