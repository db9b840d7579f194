"""Runs whose agents call MCP tools: real FastMCP servers, real crewai, the scripted LLM."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from kasal.engine.run import run_crew
from kasal.engine.spec import (
    CrewSpec,
    EngineEvent,
    LLMConfig,
    McpServerConfig,
    RunRequest,
    ToolSettings,
)
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import ScriptedLLMServer, tool_call
from tests.support.mcp_server import (
    SCRIPT,
    HttpTransport,
    McpServerProcess,
    process_exists,
    until,
)


def stdio_server(call_log: Path, name: str = "calc", **env: str) -> McpServerConfig:
    return McpServerConfig(
        name=name,
        transport="stdio",
        command=sys.executable,
        args=[str(SCRIPT)],
        env={"MCP_CALL_LOG": SecretStr(str(call_log)), "MCP_TOKEN": SecretStr("s3cret")}
        | {k: SecretStr(v) for k, v in env.items()},
    )


def mcp_run(
    crew: CrewSpec, llm: LLMConfig, tmp_path: Path, *servers: McpServerConfig
) -> RunRequest:
    """A run of `crew` using `servers`, which may be on loopback."""
    return request(crew, [llm], tmp_path / "run").model_copy(
        update={
            "mcp_servers": {s.name: s for s in servers},
            "tools": ToolSettings(http_allow_private=True),
        }
    )


def calls(call_log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in call_log.read_text().splitlines()]


@pytest.fixture(params=["sse", "streamable_http"])
def http_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[McpServerProcess]:
    transport: HttpTransport = request.param
    with McpServerProcess(transport, tmp_path / "http-calls.log") as server:
        yield server


async def test_an_agent_calls_a_stdio_mcp_tool(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    llm_server.script(tool_call("calc_add", {"a": 2, "b": 40}), "The answer is 42.", "42 it is.")
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("mcp:calc/add",))
    run = mcp_run(crew, scripted_llm, tmp_path, stdio_server(log))

    result = await run_crew(run, events.append)

    assert result.status == "succeeded", result.error
    assert calls(log) == [{"tool": "add", "args": {"a": 2, "b": 40}, "token": "s3cret"}]
    assert "The sum is 42." in llm_server.chat_requests[1].prompt
    offered = llm_server.chat_requests[0].tool_names
    assert offered == ["calc_add"]  # mcp:calc/add names one tool, not the whole server
    tool_events = [e for e in events if e.type.startswith("tool.")]
    assert [e.type for e in tool_events] == ["tool.started", "tool.completed"]
    assert all(e.data["source"] == "mcp:calc" for e in tool_events)


async def test_an_agent_calls_a_remote_mcp_tool(
    llm_server: ScriptedLLMServer,
    scripted_llm: LLMConfig,
    tmp_path: Path,
    http_server: McpServerProcess,
) -> None:
    llm_server.script(tool_call("web_add", {"a": 1, "b": 1}), "Two.", "Two, then.")
    remote = McpServerConfig(
        name="web",
        transport=http_server.transport,
        url=http_server.url,
        headers={"X-Token": SecretStr("h3ader")},
    )
    crew = two_agent_crew(tools=("mcp:web",))
    run = mcp_run(crew, scripted_llm, tmp_path, remote)

    result = await run_crew(run, lambda e: None)

    assert result.status == "succeeded", result.error
    assert set(llm_server.chat_requests[0].tool_names) == {
        "web_add",
        "web_slow",
        "web_stubborn",
        "web_explode",
    }
    assert "The sum is 2." in llm_server.chat_requests[1].prompt
    log = calls(tmp_path / "http-calls.log")
    assert log == [{"tool": "add", "args": {"a": 1, "b": 1}, "token": "h3ader"}]


async def test_a_failing_mcp_tool_is_the_agents_problem_not_the_runs(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    llm_server.script(tool_call("calc_explode"), "It broke.", "Done.")
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("mcp:calc",))
    run = mcp_run(crew, scripted_llm, tmp_path, stdio_server(tmp_path / "l"))

    result = await run_crew(run, events.append)

    assert result.status == "succeeded", result.error
    failed = [e for e in events if e.type == "tool.failed"]
    assert len(failed) == 1
    assert failed[0].data["source"] == "mcp:calc"
    assert "the reactor is offline" in llm_server.chat_requests[1].prompt


async def test_a_server_that_cannot_start_fails_the_run_plainly(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    broken = McpServerConfig(name="calc", transport="stdio", command="/no/such/server")
    crew = two_agent_crew(tools=("mcp:calc",))
    events: list[EngineEvent] = []

    result = await run_crew(mcp_run(crew, scripted_llm, tmp_path, broken), events.append)

    assert result.status == "failed"
    assert result.error is not None
    assert "'/no/such/server' was not found" in result.error
    assert [e.type for e in events] == ["crew.started", "crew.failed"]
    assert llm_server.chat_requests == []


async def test_a_tool_the_server_no_longer_offers_fails_the_build(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    crew = two_agent_crew(tools=("mcp:calc/subtract",))
    run = mcp_run(crew, scripted_llm, tmp_path, stdio_server(tmp_path / "l"))

    result = await run_crew(run, lambda e: None)

    assert result.status == "failed"
    assert result.error is not None
    assert "has no tool 'subtract'" in result.error


async def test_cancel_during_a_slow_mcp_call_stops_the_server(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    pid_file = tmp_path / "server.pid"
    log = tmp_path / "calls.log"
    llm_server.script(tool_call("calc_slow", {"seconds": 60}), "Never reached.")
    crew = two_agent_crew(tools=("mcp:calc",))
    server = stdio_server(log, MCP_PID_FILE=str(pid_file))
    run = asyncio.create_task(
        run_crew(mcp_run(crew, scripted_llm, tmp_path, server), lambda e: None)
    )
    await until(lambda: log.exists() and bool(log.read_text()))  # the call reached the server
    pid = int(pid_file.read_text())
    assert process_exists(pid)

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run

    assert not process_exists(pid)
