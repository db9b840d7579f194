"""Schedules: validated, scoped to the group, each fire exactly once across replicas,
missed fires run once or skipped as configured, and skips recorded with their reason."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kasal.core.context import Role
from kasal.core.db import create_engine, create_sessionmaker
from kasal.core.service_principal import ServicePrincipal
from kasal.executions.models import Execution
from kasal.realtime.bus import EventBus
from kasal.schedules import service
from tests.factories import Actor, add_to_group, make_actor, make_crew, make_group, seed_database
from tests.support.fake_workspace import fake_workspace

API = "/api/v1/schedules"
INPUTS = {"topic": "tides", "audience": "sailors"}
GRACE_S = 120.0


async def _crew_and_actor(app: FastAPI, client: httpx.AsyncClient) -> tuple[Actor, str]:
    await seed_database(app)
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    return actor, crew["id"]


async def _schedule(
    client: httpx.AsyncClient, actor: Actor, crew_id: str, **more: Any
) -> dict[str, Any]:
    body = {"crew_id": crew_id, "name": "Morning brief", "cron": "*/5 * * * *", **more}
    response = await client.post(API, json={"inputs": INPUTS, **body}, headers=actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _fire(app: FastAPI, now: datetime) -> None:
    await service.fire_due(app.state.sessionmaker, app.state.bus, None, now, GRACE_S)


async def _runs(app: FastAPI, crew_id: str) -> list[Execution]:
    async with app.state.sessionmaker() as session:
        stmt = select(Execution).where(Execution.crew_id == uuid.UUID(crew_id))
        return list((await session.scalars(stmt)).all())


async def _fires(client: httpx.AsyncClient, actor: Actor, schedule_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/{schedule_id}/fires", headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _first_fire(schedule: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(schedule["next_fire_times"][0])


async def test_a_schedule_answers_its_next_fire_times_in_its_time_zone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id, cron="30 9 * * *", timezone="Asia/Tokyo")
    times = [datetime.fromisoformat(t) for t in created["next_fire_times"]]
    assert len(times) == 5
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert {(t.hour, t.minute) for t in times} == {(0, 30)}  # 09:30 in Tokyo is 00:30 UTC
    assert [b - a for a, b in itertools.pairwise(times)] == [timedelta(days=1)] * 4
    assert created["owner_id"] == str(actor.user.id)
    assert created["last_fire"] is None
    listed = await client.get(API, params={"crew_id": crew_id}, headers=actor.headers)
    assert [s["id"] for s in listed.json()["items"]] == [created["id"]]

    paused = await client.patch(
        f"{API}/{created['id']}", json={"enabled": False}, headers=actor.headers
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["next_fire_times"] == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"cron": "every day"}, "invalid_cron"),
        ({"cron": "0 9 * * * *"}, "invalid_cron"),  # six fields: seconds are not offered
        ({"timezone": "Mars/Olympus"}, "invalid_timezone"),
        ({"missed": "twice"}, "validation_error"),
        ({"inputs": {"topic": 3}}, "validation_error"),
    ],
)
async def test_bad_schedules_are_refused_with_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient, change: dict[str, Any], code: str
) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    body = {"crew_id": crew_id, "name": "x", "cron": "0 9 * * *", **change}
    response = await client.post(API, json=body, headers=actor.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


async def test_schedules_belong_to_their_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id)
    stranger = await make_actor(app, client)
    url = f"{API}/{created['id']}"
    for response in (
        await client.get(url, headers=stranger.headers),
        await client.patch(url, json={"name": "mine"}, headers=stranger.headers),
        await client.delete(url, headers=stranger.headers),
        await client.get(f"{url}/fires", headers=stranger.headers),
    ):
        assert response.status_code == 404, response.text
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    other_crew = await client.post(
        API,
        json={"crew_id": crew_id, "name": "x", "cron": "0 9 * * *"},
        headers=stranger.headers,
    )
    assert other_crew.status_code == 404  # another group's crew cannot be scheduled
    assert (await client.get(API)).status_code == 401

    group = await make_group(client, actor)
    viewer = await make_actor(app, client)
    await add_to_group(app, group, viewer.user, Role.viewer)
    shared = await make_crew(client, actor, group_id=group)
    refused = await client.post(
        API,
        json={"crew_id": shared["id"], "name": "x", "cron": "0 9 * * *"},
        headers=viewer.in_group(group),
    )
    assert refused.status_code == 403


async def test_a_fire_starts_exactly_one_run_with_two_replicas_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Two scheduler loops, each with its own engine (as two API processes), tick at the
    same moment on one database: one run starts, and the next tick starts none."""
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id)
    now = _first_fire(created) + timedelta(seconds=3)
    other_engine = create_engine(app.state.settings.db_url)
    try:
        replicas = [app.state.sessionmaker, create_sessionmaker(other_engine)]
        await asyncio.gather(
            *(service.fire_due(s, EventBus(), None, now, GRACE_S) for s in replicas * 2)
        )
        await asyncio.gather(
            *(service.fire_due(s, EventBus(), None, now, GRACE_S) for s in replicas)
        )
    finally:
        await other_engine.dispose()

    [run] = await _runs(app, crew_id)
    assert (run.status, run.inputs, run.created_by) == ("queued", INPUTS, actor.user.id)
    [fire] = await _fires(client, actor, created["id"])
    assert (fire["outcome"], fire["execution_id"], fire["reason"]) == ("started", str(run.id), None)
    assert datetime.fromisoformat(fire["fire_at"]) == _first_fire(created)
    read = (await client.get(f"{API}/{created['id']}", headers=actor.headers)).json()
    assert read["last_fire"]["execution_id"] == str(run.id)
    assert _first_fire(read) == _first_fire(created) + timedelta(minutes=5)

    later = now + timedelta(minutes=5)
    await _fire(app, later)
    assert len(await _runs(app, crew_id)) == 2


@pytest.mark.parametrize("missed", ["run_once", "skip"])
async def test_fires_missed_while_down_run_once_or_are_skipped(
    app: FastAPI, client: httpx.AsyncClient, missed: str
) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id, missed=missed)
    first = _first_fire(created)
    back_up = first + timedelta(minutes=24)  # fires at +0, +5, +10, +15, +20 were missed
    await _fire(app, back_up)

    runs = await _runs(app, crew_id)
    [fire] = await _fires(client, actor, created["id"])
    assert datetime.fromisoformat(fire["fire_at"]) == first + timedelta(minutes=20)
    assert "5 fires missed" in fire["reason"]
    if missed == "run_once":
        assert len(runs) == 1
        assert (fire["outcome"], fire["execution_id"]) == ("started", str(runs[0].id))
    else:
        assert runs == []
        assert (fire["outcome"], fire["execution_id"]) == ("skipped", None)
    read = (await client.get(f"{API}/{created['id']}", headers=actor.headers)).json()
    assert _first_fire(read) == first + timedelta(minutes=25)
    await _fire(app, back_up)  # handled: the same tick again changes nothing
    assert len(await _fires(client, actor, created["id"])) == 1


async def test_a_fire_that_cannot_run_is_skipped_with_its_reason(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id, inputs={"topic": "tides"})
    await _fire(app, _first_fire(created) + timedelta(seconds=1))
    [fire] = await _fires(client, actor, created["id"])
    assert fire["outcome"] == "skipped"
    assert fire["reason"] == "Skipped: The crew needs values for: audience"
    assert await _runs(app, crew_id) == []


async def test_a_fire_runs_as_its_owner_within_their_current_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed_database(app)
    admin = await make_actor(app, client)
    group = await make_group(client, admin)
    editor = await make_actor(app, client)
    await add_to_group(app, group, editor.user, Role.editor)
    crew = await make_crew(client, admin, group_id=group)
    response = await client.post(
        API,
        json={"crew_id": crew["id"], "name": "x", "cron": "*/5 * * * *", "inputs": INPUTS},
        headers=editor.in_group(group),
    )
    assert response.status_code == 201, response.text
    created = response.json()
    removed = await client.delete(
        f"/api/v1/groups/{group}/members/{editor.user.id}", headers=admin.headers
    )
    assert removed.status_code == 204, removed.text

    await _fire(app, _first_fire(created) + timedelta(seconds=1))
    [fire] = await _fires(client, Actor(admin.user, admin.in_group(group)), created["id"])
    assert fire["outcome"] == "skipped"
    assert "is no longer a member of the group" in fire["reason"]
    assert await _runs(app, crew["id"]) == []


async def test_only_due_schedules_fire(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor, crew_id = await _crew_and_actor(app, client)
    other, other_crew = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id)
    await _schedule(client, other, other_crew, cron="0 0 1 1 *")
    await _fire(app, _first_fire(created) + timedelta(seconds=1))
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Execution)) == 1


async def test_a_fire_whose_service_principal_gets_no_token_is_skipped_saying_why(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """In a Databricks App the run would act as the app's service principal; a workspace
    that refuses the principal's credentials skips the fire, naming the principal only."""
    actor, crew_id = await _crew_and_actor(app, client)
    created = await _schedule(client, actor, crew_id)
    with fake_workspace(clients={"app-principal": "the-right-secret"}) as workspace:
        principal = ServicePrincipal(workspace.url, "app-principal", "a-wrong-secret-31415")
        now = _first_fire(created) + timedelta(seconds=1)
        await service.fire_due(app.state.sessionmaker, app.state.bus, None, now, GRACE_S, principal)
    [fire] = await _fires(client, actor, created["id"])
    assert fire["outcome"] == "skipped"
    assert fire["reason"].startswith(
        "Skipped: The app's service principal (app-principal) could not get a Databricks token"
    )
    assert "a-wrong-secret-31415" not in fire["reason"]
    assert await _runs(app, crew_id) == []
