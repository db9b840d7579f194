"""What a run reports of its tool calls: which tool, with what, what came back, how long;
never a secret; and a tool that breaks in any way is a result the model reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from crewai.tools import BaseTool
from pydantic import SecretStr

from kasal.engine.capture import PREVIEW_CHARS
from kasal.engine.redact import MASK
from kasal.engine.run import run_crew
from kasal.engine.spec import EngineEvent, LLMConfig, ToolSettings
from kasal.engine.tools import factory
from tests.engine.specs import request, two_agent_crew
from tests.support.llm_server import ScriptedLLMServer, tool_call
from tests.support.web_servers import LocalServer, search_endpoints, search_providers

KEY = "serper-key-5f1e9a0c7d"


@pytest.fixture(scope="module")
def providers() -> Iterator[LocalServer]:
    with search_providers(KEY) as server:
        yield server


def _tool_events(events: list[EngineEvent]) -> list[EngineEvent]:
    return [e for e in events if e.type.startswith("tool.")]


async def test_a_search_call_is_reported_with_its_id_args_preview_and_duration(
    llm_server: ScriptedLLMServer,
    scripted_llm: LLMConfig,
    tmp_path: Path,
    providers: LocalServer,
) -> None:
    # The model echoes the run's key and another key-shaped value into its arguments.
    query = f"tides {KEY} api_key=other-secret-77"
    llm_server.script(tool_call("web_search", {"query": query}), "Tides: the Moon.", "Done.")
    run = request(two_agent_crew(tools=("web_search",)), [scripted_llm], tmp_path)
    run = run.model_copy(
        update={
            "tool_keys": {"serper": SecretStr(KEY)},
            "tools": ToolSettings(
                http_allow_private=True, search_endpoints=search_endpoints(providers)
            ),
        }
    )
    events: list[EngineEvent] = []

    result = await run_crew(run, events.append)

    assert result.status == "succeeded", result.error
    started, completed = _tool_events(events)
    assert started.type == "tool.started"
    assert started.data == {
        "tool": "web_search",
        "tool_id": "web_search",
        "args": {"query": f"tides {MASK} api_key={MASK}"},
    }
    assert completed.type == "tool.completed"
    assert completed.data["tool_id"] == "web_search"
    assert completed.data["output"].startswith("1. Tides explained\n   https://example.org/tides")
    assert isinstance(completed.data["duration_ms"], int)
    assert providers.requests[-1].headers["x-api-key"] == KEY  # the provider got the real key
    assert "Tides are caused by the Moon's gravity." in llm_server.chat_requests[1].prompt
    everything = json.dumps([e.model_dump(mode="json") for e in events])
    assert KEY not in everything
    assert "sk-test-key" not in everything  # the model's key neither
    assert "other-secret-77" not in everything


class _Broken(BaseTool):
    name: str = "current_datetime"
    description: str = "Stands in for a tool with a bug."

    def _run(self) -> str:
        return str(1 / 0)


async def test_a_tool_raising_something_unexpected_is_a_result_not_a_crash(
    llm_server: ScriptedLLMServer,
    scripted_llm: LLMConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(factory._BUILDERS, "current_datetime", lambda config, ctx: [_Broken()])
    llm_server.script(tool_call("current_datetime", {}), "It broke; going on.", "Done.")
    events: list[EngineEvent] = []
    crew = two_agent_crew(tools=("current_datetime",))

    result = await run_crew(request(crew, [scripted_llm], tmp_path), events.append)

    assert result.status == "succeeded", result.error
    assert result.task_outputs["research"] == "It broke; going on."
    _, failed = _tool_events(events)
    assert failed.type == "tool.failed"
    assert failed.data["tool_id"] == "current_datetime"
    assert failed.data["error"] == "ZeroDivisionError: division by zero"
    assert isinstance(failed.data["duration_ms"], int)
    assert "division by zero" in llm_server.chat_requests[1].messages[-1]["content"]


async def test_a_long_result_is_cut_in_the_event_but_not_for_the_model(
    llm_server: ScriptedLLMServer, scripted_llm: LLMConfig, tmp_path: Path
) -> None:
    (tmp_path / "long.txt").write_text("tide " * 2_000)
    llm_server.script(tool_call("file_read", {"path": "long.txt"}), "Read it.", "Done.")
    events: list[EngineEvent] = []

    result = await run_crew(
        request(two_agent_crew(tools=("file_read",)), [scripted_llm], tmp_path), events.append
    )

    assert result.status == "succeeded", result.error
    _, completed = _tool_events(events)
    output = completed.data["output"]
    assert output.endswith("… [10000 chars]")
    assert len(output) == PREVIEW_CHARS + len("… [10000 chars]")
    assert ("tide " * 2_000).strip() in llm_server.chat_requests[1].messages[-1]["content"]
