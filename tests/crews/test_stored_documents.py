"""A stored crew document or run spec that no longer validates is the server's fault.

A read or a run request answers a logged 500, and a run whose spec is damaged fails
(logged) instead of stalling the queue.

The user sent nothing wrong, so a 422 (`validation_error`) would blame them. The row is
corrupted directly in the database, as a bad migration or a hand edit would.
"""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from kasal.core.errors import StoredDataInvalid
from kasal.crews.models import Crew
from kasal.executions.models import Execution, Status
from tests.executions.support import start, wait_for
from tests.factories import crew_document, make_actor, make_crew, seed_database
from tests.support.server import LiveServer


async def test_a_corrupt_stored_document_is_a_logged_server_error(
    app: FastAPI,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    actor = await make_actor(app, client)
    crew_id = uuid.UUID(str((await make_crew(client, actor, crew_document("Corrupt")))["id"]))
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(Crew).where(Crew.id == crew_id).values(content={"name": "", "agents": 7})
        )
        await session.commit()

    with caplog.at_level(logging.ERROR):
        # The app's own answer to a crash, as a server sends it (not re-raised into the test).
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            read = await http.get(f"/api/v1/crews/{crew_id}", headers=actor.headers)
            run = await http.post(
                "/api/v1/executions",
                json={"crew_id": str(crew_id), "inputs": {"topic": "t", "audience": "a"}},
                headers=actor.headers,
            )

    for response in (read, run):
        assert response.status_code == 500
        error = response.json()["error"]
        assert error["code"] == "internal_error"
        assert error["message"].startswith("Something went wrong on our side (request ")
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is StoredDataInvalid]
    assert len(logged) == 2


async def test_a_run_whose_stored_spec_is_corrupt_fails_and_the_queue_moves_on(
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await seed_database(app)  # the offline `demo` model
    actor = await make_actor(app, client)
    crew_id = str((await make_crew(client, actor, crew_document("Runs")))["id"])
    inputs = {"topic": "tides", "audience": "sailors"}
    async with httpx.AsyncClient(base_url=live.url) as http:
        first = await start(http, actor, crew_id, inputs)
        await wait_for(http, actor, first["id"])
        async with app.state.sessionmaker() as session:  # as if queued again, then damaged
            await session.execute(
                update(Execution)
                .where(Execution.id == uuid.UUID(first["id"]))
                .values(status=Status.queued, spec={"name": 5}, runner_id=None)
            )
            await session.commit()
        with caplog.at_level(logging.ERROR):
            live.call(_wake(live))
            damaged = await wait_for(http, actor, first["id"])
            second = await start(http, actor, crew_id, inputs)
            after = await wait_for(http, actor, second["id"])

    assert damaged["status"] == "failed"
    assert damaged["error"] == "The stored spec of this run does not validate."
    assert after["status"] == "succeeded"  # the damaged run did not stall the queue
    assert any(r.exc_info and r.exc_info[0] is StoredDataInvalid for r in caplog.records)


async def _wake(live: LiveServer) -> None:
    live.app.state.dispatcher.wake()
