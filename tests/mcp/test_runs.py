"""Crews whose agents call MCP tools, run by a live server's worker end to end."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import Actor, make_actor
from tests.mcp.conftest import ALLOWED, stdio_body
from tests.support.llm_server import ScriptedLLMServer, tool_call
from tests.support.mcp_server import process_exists, until
from tests.support.server import LiveServer, live_settings


@pytest.fixture(scope="module")
def mcp_live(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(live_settings(db_url, tmp_path_factory.mktemp("live-mcp"), **ALLOWED)) as s:
        yield s


async def crew_with_mcp_tool(
    http: httpx.AsyncClient, actor: Actor, llm: ScriptedLLMServer, env: dict[str, str]
) -> str:
    model = await use_scripted_model(http, actor, llm)
    body = stdio_body(env=env)
    response = await http.post("/api/v1/mcp-servers", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return await create_crew(http, actor, two_step_crew(model, tools=[{"tool_id": "mcp:calc"}]))


async def test_an_agent_calls_an_mcp_tool_in_a_worker(
    app: FastAPI,
    client: httpx.AsyncClient,
    mcp_live: LiveServer,
    llm_server: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    log = tmp_path / "calls.log"
    llm_server.script(tool_call("calc_add", {"a": 20, "b": 22}), "Forty-two.", "The brief.")
    async with httpx.AsyncClient(base_url=mcp_live.url) as http:
        crew_id = await crew_with_mcp_tool(
            http, actor, llm_server, {"MCP_CALL_LOG": str(log), "MCP_TOKEN": "run-secret"}
        )
        execution = await start(http, actor, crew_id)
        done = await wait_for(http, actor, execution["id"])
        events = await all_events(http, actor, execution["id"])

    assert done["status"] == "succeeded", done["error"]
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"tool": "add", "args": {"a": 20, "b": 22}, "token": "run-secret"}
    ]
    assert "The sum is 42." in llm_server.chat_requests[1].prompt
    tool_events = [e for e in events if e["type"].startswith("tool.")]
    assert [e["type"] for e in tool_events] == ["tool.started", "tool.completed"]
    assert {e["data"]["source"] for e in tool_events} == {"mcp:calc"}
    assert "run-secret" not in json.dumps(events)


async def test_cancel_during_an_mcp_call_leaves_no_process_behind(
    app: FastAPI,
    client: httpx.AsyncClient,
    mcp_live: LiveServer,
    llm_server: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    log, pid_file = tmp_path / "calls.log", tmp_path / "server.pid"
    llm_server.script(tool_call("calc_slow", {"seconds": 120}), "Never.")
    env = {"MCP_CALL_LOG": str(log), "MCP_PID_FILE": str(pid_file)}
    async with httpx.AsyncClient(base_url=mcp_live.url) as http:
        crew_id = await crew_with_mcp_tool(http, actor, llm_server, env)
        execution = await start(http, actor, crew_id)
        await until(lambda: log.exists() and "slow" in log.read_text())
        pid = int(pid_file.read_text())
        assert process_exists(pid)
        url = f"/api/v1/executions/{execution['id']}/cancel"
        assert (await http.post(url, headers=actor.headers)).status_code == 202
        done = await wait_for(http, actor, execution["id"], within=15)

    assert done["status"] == "cancelled"
    await until(lambda: not process_exists(pid), within=5)


async def test_a_worker_killed_outright_takes_its_stdio_servers_along(
    app: FastAPI,
    client: httpx.AsyncClient,
    mcp_live: LiveServer,
    llm_server: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    log, pid_file = tmp_path / "calls.log", tmp_path / "server.pid"
    # A server that would outlive a closed stdin: only the kernel's tie to the worker stops it.
    llm_server.script(tool_call("calc_stubborn", {"seconds": 120}), "Never.")
    env = {"MCP_CALL_LOG": str(log), "MCP_PID_FILE": str(pid_file)}
    async with httpx.AsyncClient(base_url=mcp_live.url) as http:
        crew_id = await crew_with_mcp_tool(http, actor, llm_server, env)
        execution = await start(http, actor, crew_id)
        await until(lambda: log.exists() and "stubborn" in log.read_text())
        pid = int(pid_file.read_text())

        os.kill(mcp_live.worker_pids[0], signal.SIGKILL)  # no cleanup runs in the worker
        done = await wait_for(http, actor, execution["id"], within=30)

    assert done["status"] == "interrupted"
    await until(lambda: not process_exists(pid), within=5)
