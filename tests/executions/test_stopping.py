"""Stopping and failing safely: cancel, timeouts, a killed worker, a restart, unsafe tools."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import make_actor, running_execution
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer, live_settings


async def test_cancel_during_a_slow_llm_call(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    llm_server.delay = 60
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        execution = await start(http, actor, crew_id)
        await llm_server.wait_for_chat_requests(1)
        cancelled = await http.post(
            f"/api/v1/executions/{execution['id']}/cancel", headers=actor.headers
        )
        assert cancelled.status_code == 202
        assert cancelled.json()["status"] == "cancelling"
        done = await wait_for(http, actor, execution["id"], within=10)
        events = await all_events(http, actor, execution["id"])
    assert done["status"] == "cancelled"
    types = [e["type"] for e in events]
    assert types[-1] == "execution.cancelled"
    assert types.index("execution.cancelling") < types.index("execution.cancelled")


async def test_cancelling_a_queued_run_and_a_finished_one(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Without workers (the in-process app runs none) a run stays queued."""
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    execution = await start(client, actor, crew_id)
    url = f"/api/v1/executions/{execution['id']}"
    still_active = await client.delete(url, headers=actor.headers)
    assert still_active.status_code == 409
    response = await client.post(f"{url}/cancel", headers=actor.headers)
    assert response.json()["status"] == "cancelled"
    again = await client.post(f"{url}/cancel", headers=actor.headers)
    assert again.status_code == 202
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    assert (await client.get(url, headers=actor.headers)).status_code == 404


async def test_a_killed_worker_interrupts_its_runs_and_keeps_their_events(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    llm_server.delay = 60
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        execution = await start(http, actor, crew_id)
        await llm_server.wait_for_chat_requests(1)
        before = await all_events(http, actor, execution["id"])
        pids = live.worker_pids
        os.kill(pids[0], signal.SIGKILL)
        done = await wait_for(http, actor, execution["id"], within=30)
        events = await all_events(http, actor, execution["id"])
    assert done["status"] == "interrupted"
    assert "signal 9" in done["error"]
    assert events[: len(before)] == before
    assert events[-1]["type"] == "execution.interrupted"
    for _ in range(600):  # the pool replaces the worker
        if live.worker_pids and live.worker_pids != pids:
            break
        await asyncio.sleep(0.05)
    assert live.worker_pids
    assert live.worker_pids != pids


async def test_run_timeout_stops_the_run_as_failed(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    llm_server.delay = 60
    with LiveServer(live_settings(db_url, tmp_path, run_timeout=2)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            crew_id = await create_crew(http, actor, two_step_crew(model))
            execution = await start(http, actor, crew_id)
            done = await wait_for(http, actor, execution["id"], within=20)
    assert done["status"] == "failed"
    assert "longer than 2 s" in done["error"]


async def test_start_up_resolves_orphaned_runs_and_starts_queued_ones(
    app: FastAPI, client: httpx.AsyncClient, db_url: str, tmp_path: Path
) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    queued = await start(client, actor, crew_id)  # no workers here: it stays queued
    orphan = await running_execution(app, actor, crew_id, "a-process-that-died", -1)
    with LiveServer(live_settings(db_url, tmp_path)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            recovered = await wait_for(http, actor, orphan, within=5)
            ran = await wait_for(http, actor, queued["id"], within=60)
    assert recovered["status"] == "interrupted"
    assert ran["status"] == "succeeded"


async def test_the_http_tool_refuses_a_loopback_address(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        tools = [{"tool_id": "http_request", "config": {}}]
        crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
        llm_server.script(
            tool_call("http_request", {"url": f"{live.url}/health"}),
            text("I could not fetch it."),
            text("Thought: ok\nFinal Answer: Brief."),
        )
        done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
        events = await all_events(http, actor, done["id"])
    assert done["status"] == "succeeded"
    tool_events = [
        e for e in events if e["type"].startswith("tool.") and e["type"] != "tool.started"
    ]
    assert tool_events
    assert "Refused" in str(tool_events[0]["data"])
    assert "Refused" in llm_server.chat_requests[1].prompt  # the model was told, not the server hit


async def test_a_lost_run_is_requeued_once_where_configured(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    llm_server.delay = 60
    with LiveServer(live_settings(db_url, tmp_path, requeue_lost=True)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            crew_id = await create_crew(http, actor, two_step_crew(model))
            execution = await start(http, actor, crew_id)
            await llm_server.wait_for_chat_requests(1)
            llm_server.delay = 0  # the second attempt meets a healthy provider
            os.kill(server.worker_pids[0], signal.SIGKILL)
            done = await wait_for(http, actor, execution["id"], within=60)
            events = await all_events(http, actor, execution["id"])
    types = [e["type"] for e in events]
    assert done["status"] == "succeeded"
    assert types.count("execution.requeued") == 1
    assert types.count("execution.started") == 2
    assert (
        "signal 9" in next(e for e in events if e["type"] == "execution.requeued")["data"]["reason"]
    )
