"""snapshot_for_run: what the executions domain takes from a crew to start a run."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import GroupContext, Role
from kasal.core.errors import InvalidInput, NotFound
from kasal.crews import service
from kasal.engine.spec import CrewSpec
from kasal.engine.validate import RunFacts, check
from tests.factories import Actor, crew_document, make_actor, make_crew


def _ctx(actor: Actor) -> GroupContext:
    return GroupContext(
        user_id=actor.user.id, group_id=actor.user.personal_group_id, role=Role.operator
    )


async def test_a_valid_crew_snapshots_into_an_engine_spec(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("Snap"))
    crew_id = uuid.UUID(str(crew["id"]))
    await client.patch(
        f"/api/v1/crews/{crew_id}", json={"version": 1, "name": "Snap 2"}, headers=actor.headers
    )
    async with app.state.sessionmaker() as session:
        current = await service.snapshot_for_run(session, _ctx(actor), crew_id)
        first = await service.snapshot_for_run(session, _ctx(actor), crew_id, 1)
    assert (current.name, current.version, first.name, first.version) == ("Snap 2", 2, "Snap", 1)
    assert isinstance(current.spec, CrewSpec)
    assert current.crew_id == crew_id
    assert current.inputs == ["topic", "audience"]
    assert current.problems == []
    assert current.model_keys == ["demo"]
    assert [a.key for a in current.spec.agents] == ["researcher", "writer"]
    assert current.spec.tasks[1].context == ["research"]
    assert check(current.spec, RunFacts({"demo"})) == []  # the engine accepts it as is


async def test_a_crew_with_errors_cannot_be_snapshot(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document(tasks=[]))
    async with app.state.sessionmaker() as session:
        with pytest.raises(InvalidInput) as caught:
            await service.snapshot_for_run(session, _ctx(actor), uuid.UUID(str(crew["id"])))
    assert caught.value.code == "crew_invalid"
    assert [d["code"] for d in caught.value.details] == ["no_tasks", "unused_agent", "unused_agent"]


async def test_other_groups_and_unknown_versions_are_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    crew_id = uuid.UUID(str((await make_crew(client, owner))["id"]))
    async with app.state.sessionmaker() as session:
        with pytest.raises(NotFound) as caught:
            await service.snapshot_for_run(session, _ctx(stranger), crew_id)
        assert caught.value.code == "crew_not_found"
        with pytest.raises(NotFound) as caught:
            await service.snapshot_for_run(session, _ctx(owner), crew_id, 5)
        assert caught.value.code == "crew_version_not_found"
