"""The database blinks mid-run and nothing is lost: PostgreSQL refuses every connection to
the database and drops the ones it had (as in a failover or a restart) while a real run
streams events through a real worker; afterwards the log is whole and the run has ended.

PostgreSQL only, on throwaway databases of these tests' own: SQLite is a file in this
process and has no outage to survive. Without a PostgreSQL server these tests are skipped
as loudly as the rest of the PostgreSQL half.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from kasal.core.db import utcnow
from kasal.engine.spec import EngineEvent
from kasal.events import EventType
from kasal.executions.dispatcher import Dispatcher
from kasal.executions.repository import RunnerRepository
from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import Actor, login, make_user, running_execution
from tests.support.database import libpq_url, postgres_server_url, throwaway_database
from tests.support.llm_server import ScriptedLLMServer, text
from tests.support.server import LiveServer, live_settings

# Short leases, so that the long outage certainly outlives the lease of the run it cuts.
LEASE_S = 6
RUN_TIMEOUT_S = 10  # ample for a two-call run to finish first, on a busy machine


@contextmanager
def database_outage(database_url: str) -> Iterator[None]:
    """Connections to the database refused and its backends terminated until the block ends,
    driven from an admin connection to the server's own database."""
    name = make_url(database_url).database
    assert name is not None
    with psycopg.connect(libpq_url(postgres_server_url()), autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        try:
            terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
            admin.execute(terminate, (name,))
            yield
        finally:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def outage_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database("postgresql", tmp_path_factory.mktemp("outage")) as url:
        yield url


@pytest.fixture(scope="module")
def server(outage_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = live_settings(outage_db, tmp_path_factory.mktemp("outage-live"), lease_s=LEASE_S)
    with LiveServer(settings) as live:
        yield live


async def sign_in(http: httpx.AsyncClient, live: LiveServer) -> Actor:
    """A new user of the live server, made on the server's own loop (its engine lives there)."""
    user = live.call(make_user(live.app))
    response = await login(http, user.email)
    assert response.status_code == 200, response.text
    http.cookies.clear()
    return Actor(user, {"Authorization": f"Bearer {response.json()['access_token']}"})


def four_step_crew(model: str) -> dict[str, Any]:
    """Four LLM calls in a row: a run long enough to be cut in the middle."""
    crew = two_step_crew(model)
    crew["tasks"] += [
        {**task, "key": f"{task['key']}_again", "name": f"{task['name']} again", "context": []}
        for task in crew["tasks"]
    ]
    return crew


async def run_types(http: httpx.AsyncClient, actor: Actor, crew_id: str) -> list[str]:
    """The event types of a run the database never failed: what an outage must not change."""
    done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
    assert done["status"] == "succeeded", done
    return [e["type"] for e in await all_events(http, actor, done["id"])]


@pytest.mark.parametrize("outage_s", [2, 30])
async def test_an_outage_mid_run_loses_no_event_and_the_run_ends(
    server: LiveServer,
    outage_db: str,
    llm_server: ScriptedLLMServer,
    outage_s: float,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2 s cuts the run in the middle; 30 s outlives it and its lease, so the run's end is
    reported while the database is away and written only when it is back."""
    llm_server.delay = 0.5
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        actor = await sign_in(http, server)
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, four_step_crew(model))
        expected = await run_types(http, actor, crew_id)
        llm_server.reset()
        llm_server.delay = 0.5

        execution = await start(http, actor, crew_id)
        await llm_server.wait_for_chat_requests(2)
        with database_outage(outage_db):
            await asyncio.sleep(outage_s)
            asked_meanwhile = len(llm_server.chat_requests)
        done = await wait_for(http, actor, execution["id"], within=60)
        events = await all_events(http, actor, execution["id"])

    assert asked_meanwhile > 2  # the run went on, and reported, while the database was away
    assert done["status"] == "succeeded", done
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == expected
    assert len(llm_server.chat_requests) == 4  # the run went on, and was not run twice
    said = [r.getMessage() for r in caplog.records if r.name == Dispatcher.__module__]
    assert len([m for m in said if m.startswith("the database is unreachable")]) == 1, said
    assert len([m for m in said if m.startswith("the database is reachable again")]) == 1, said


async def test_ready_says_the_database_is_unreachable_during_an_outage(
    server: LiveServer, outage_db: str
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        with database_outage(outage_db):
            during = await http.get("/health/ready")
        after = await http.get("/health/ready")
    assert during.status_code == 503
    assert during.json()["error"]["code"] == "database_unreachable"
    assert after.status_code == 200


async def _running(live: LiveServer) -> dict[str, int]:
    dispatcher: Dispatcher = live.app.state.dispatcher
    return dispatcher.pool.running()


async def until_no_worker_runs(live: LiveServer, execution_id: str) -> None:
    """Wait (at most 30 s) until no worker runs the execution any more."""
    for _ in range(150):
        if execution_id not in live.call(_running(live)):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"a worker still runs execution {execution_id}")


@pytest.fixture(scope="module")
def timed_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database("postgresql", tmp_path_factory.mktemp("timed")) as url:
        yield url


@pytest.fixture(scope="module")
def timed_server(timed_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a short KASAL_RUN_TIMEOUT, on a database of its own to cut."""
    data_dir = tmp_path_factory.mktemp("timed-live")
    with LiveServer(live_settings(timed_db, data_dir, run_timeout=RUN_TIMEOUT_S)) as live:
        yield live


async def test_a_run_timing_out_during_an_outage_is_stopped_and_ends_failed(
    timed_server: LiveServer, timed_db: str, llm_server: ScriptedLLMServer
) -> None:
    """The timeout reaches the worker without the database, and its end is written after."""
    llm_server.delay = 60
    async with httpx.AsyncClient(base_url=timed_server.url, timeout=30) as http:
        actor = await sign_in(http, timed_server)
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        execution = await start(http, actor, crew_id)
        await llm_server.wait_for_chat_requests(1)
        with database_outage(timed_db):
            await until_no_worker_runs(timed_server, execution["id"])
        done = await wait_for(http, actor, execution["id"], within=30)
        events = await all_events(http, actor, execution["id"])
    assert done["status"] == "failed"
    assert f"longer than {RUN_TIMEOUT_S:g} s" in done["error"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "execution.failed"


async def test_a_run_that_finished_in_time_but_was_written_late_ends_as_it_finished(
    timed_server: LiveServer, timed_db: str, llm_server: ScriptedLLMServer
) -> None:
    """The worker is done before the timeout; the outage holds its end back past it. The
    timeout must neither fail the run nor leave it waiting on a worker that is gone."""
    llm_server.script(
        text("Thought: done\nFinal Answer: Facts."),
        text("Thought: done\nFinal Answer: Brief.", delay=0.5),
    )
    async with httpx.AsyncClient(base_url=timed_server.url, timeout=30) as http:
        actor = await sign_in(http, timed_server)
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        started = time.monotonic()
        execution = await start(http, actor, crew_id)
        await llm_server.wait_for_chat_requests(2)
        with database_outage(timed_db):
            await until_no_worker_runs(timed_server, execution["id"])
            await asyncio.sleep(started + RUN_TIMEOUT_S + 2 - time.monotonic())
        done = await wait_for(http, actor, execution["id"], within=30)
        events = await all_events(http, actor, execution["id"])
    assert done["status"] == "succeeded", done
    assert done["result"] == "Brief."
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


async def test_a_nul_in_a_models_answer_is_kept_as_a_replacement_character(
    server: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    """PostgreSQL refuses NUL characters in text and JSON; a model may write one all the
    same. It is stored as U+FFFD: the run keeps its events and its outcome."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        actor = await sign_in(http, server)
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        llm_server.script(text("Thought: done\nFinal Answer: Tides\u0000 follow the moon."))
        done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
        events = await all_events(http, actor, done["id"])
    assert done["status"] == "succeeded", done["error"]
    assert "Tides\ufffd follow the moon." in done["task_outputs"].values()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "execution.succeeded"


async def test_a_report_the_database_refuses_costs_only_itself(
    server: LiveServer, llm_server: ScriptedLLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Not an outage but a poison report: PostgreSQL refuses NaN in JSON. The writer gives up
    on that report alone (logged); the run's other events are kept and it ends as it ran."""
    llm_server.delay = 0.5
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        actor = await sign_in(http, server)
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        execution = await start(http, actor, crew_id)
        await wait_for(http, actor, execution["id"], statuses={"running"})
        poison = EngineEvent(type=EventType.log, data={"value": float("nan")})
        server.call(server.app.state.dispatcher.on_event(execution["id"], poison))
        done = await wait_for(http, actor, execution["id"])
        events = await all_events(http, actor, execution["id"])
    assert done["status"] == "succeeded", done["error"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert EventType.log not in {e["type"] for e in events}
    assert f"dropped a log event of execution {execution['id']}" in caplog.text


async def _renew(live: LiveServer, runner_id: str, execution_id: str) -> None:
    async with live.app.state.sessionmaker() as session:
        until = utcnow() + timedelta(seconds=10 * LEASE_S)
        await RunnerRepository(session).renew_leases(runner_id, {uuid.UUID(execution_id)}, until)
        await session.commit()


async def test_after_an_outage_leases_are_judged_only_once_their_holders_could_renew(
    server: LiveServer, outage_db: str
) -> None:
    """Runs of two other processes, whose leases lapse during an outage. The process that
    renews a moment after the database is back keeps its run; the run of the one that never
    does (it died meanwhile) is interrupted, once the database has been back for a lease."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        actor = await sign_in(http, server)
        crew_id = await create_crew(http, actor, two_step_crew("demo"))
        alive = server.call(
            running_execution(server.app, actor, crew_id, "a-process-that-lives", LEASE_S / 2)
        )
        dead = server.call(
            running_execution(server.app, actor, crew_id, "a-process-that-died", LEASE_S / 2)
        )
        with database_outage(outage_db):
            await asyncio.sleep(LEASE_S / 2 + 1)
        await asyncio.sleep(LEASE_S / 2)
        server.call(_renew(server, "a-process-that-lives", alive))
        ended = await wait_for(http, actor, dead, within=30)
        still = (await http.get(f"/api/v1/executions/{alive}", headers=actor.headers)).json()
    assert ended["status"] == "interrupted"
    assert still["status"] == "running"
