"""The capture: crewai's process-wide bus → the right run, in emission order."""

from __future__ import annotations

import asyncio

from crewai.events import crewai_event_bus
from crewai.events.types.tool_usage_events import ToolSelectionErrorEvent, ToolUsageStartedEvent
from crewai.tools import BaseTool

from kasal.engine.capture import RunCapture, capturing, install
from kasal.engine.redact import MASK, Redactor
from kasal.engine.spec import EngineEvent, ToolRef
from kasal.engine.tools.factory import ToolOrigin, tool_origin


class _NamedTool(BaseTool):
    def _run(self) -> str:
        return ""


def _event(label: str, sequence: int | None = None) -> ToolSelectionErrorEvent:
    event = ToolSelectionErrorEvent(tool_name="t", tool_args={}, error=label)
    event.emission_sequence = sequence
    return event


def _messages(events: list[EngineEvent]) -> list[str]:
    return [e.data["message"].removeprefix("Tool selection failed: ") for e in events]


async def test_events_in_sequence_go_out_at_once_in_order() -> None:
    events: list[EngineEvent] = []
    capture = RunCapture(events.append, {}, {})
    for sequence in (3, 1, 2):  # handler threads can deliver them in any order
        capture.accept(_event(f"e{sequence}", sequence))
    await asyncio.sleep(0)  # releases are scheduled on the run's loop, not waited for
    assert _messages(events) == ["e1", "e2", "e3"]
    assert {(e.type, e.data["level"]) for e in events} == {("log", "warning")}


async def test_a_missing_number_holds_the_rest_back_until_the_hold_expires() -> None:
    events: list[EngineEvent] = []
    capture = RunCapture(events.append, {}, {})
    for sequence in (3, 2):
        capture.accept(_event(f"e{sequence}", sequence))
    await asyncio.sleep(0)
    capture.release(hold=60)
    assert events == []  # e1 may still be on its way
    capture.release(hold=0)
    assert _messages(events) == ["e2", "e3"]
    capture.accept(_event("e4", 4))
    await asyncio.sleep(0)
    assert _messages(events) == ["e2", "e3", "e4"]


async def test_nothing_is_emitted_after_close() -> None:
    events: list[EngineEvent] = []
    capture = RunCapture(events.append, {}, {})
    capture.close()
    capture.accept(_event("after", 1))
    await asyncio.sleep(0)
    capture.release(hold=0)
    assert events == []


async def test_concurrent_runs_each_get_their_own_events_in_order() -> None:
    install()
    install()  # once per process, however often it is called
    received: dict[str, list[EngineEvent]] = {"a": [], "b": []}
    captures = {name: RunCapture(received[name].append, {}, {}) for name in received}

    async def run(name: str) -> None:
        with capturing(captures[name]):
            for index in range(40):
                crewai_event_bus.emit(None, _event(f"{name}{index}"))  # handled on a thread pool
                await asyncio.sleep(0)

    crewai_event_bus.emit(None, _event("nobody's"))  # outside any run: dropped
    await asyncio.gather(run("a"), run("b"))
    await asyncio.to_thread(crewai_event_bus.flush, 10)
    for name, capture in captures.items():
        capture.release(hold=0)
        assert _messages(received[name]) == [f"{name}{i}" for i in range(40)]


def test_a_tool_event_names_its_tool_and_source_as_the_crew_does() -> None:
    mcp = ToolRef(tool_id="mcp:github")
    issue = _NamedTool(name="create_issue", description="d")
    origin = tool_origin(mcp, issue)
    assert origin == ToolOrigin("mcp:github/create_issue", "mcp:github")
    assert tool_origin(ToolRef(tool_id="mcp:github/create_issue"), issue) == origin
    assert tool_origin(ToolRef(tool_id="web_page"), issue) == ToolOrigin("web_page")


async def test_tool_events_carry_the_origin_and_no_secret() -> None:
    events: list[EngineEvent] = []
    capture = RunCapture(
        events.append,
        {},
        {},
        tools={"create_issue": ToolOrigin("mcp:github/create_issue", "mcp:github")},
        redactor=Redactor(["ghs-run-token-42"]),
    )
    args = {"title": "uses ghs-run-token-42", "authorization": "anything"}
    started = ToolUsageStartedEvent(tool_name="create_issue", tool_args=args)
    started.emission_sequence = 1
    capture.accept(started)
    await asyncio.sleep(0)
    (event,) = events
    assert event.data == {
        "tool": "create_issue",
        "tool_id": "mcp:github/create_issue",
        "source": "mcp:github",
        "args": {"title": f"uses {MASK}", "authorization": MASK},
    }
