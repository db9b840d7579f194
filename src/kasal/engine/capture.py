"""CrewAI events → Kasal `EngineEvent`s, attributed to the right run.

crewai has one process-wide event bus, and a worker runs several crews at once,
so a listener alone cannot tell whose event it sees. `run_crew` sets a
`ContextVar` to its `RunCapture` before kickoff; crewai copies the context into
the threads that run agents and event handlers, so the handler finds the
capture of the run that emitted the event.

Handlers run on a thread pool, so events can arrive slightly out of order. Each
capture keeps them in a heap keyed by `emission_sequence` (a per-run counter
crewai resets at kickoff, shared by the run's threads) and releases them in order
on the run's event loop. The listener hears every event class, so the numbers it
sees are contiguous: an event is released as soon as its predecessor has been,
and a number that never comes holds the rest back for at most `HOLD_S`.
Conversion happens at release, in emission order, so start/end pairs give durations.

A knowledge search (`knowledge.retrieved`) carries the query and the source and score of every
chunk found, attributed to the agent whose tool searched.

Tool events name the tool as the crew does (`tool_id`, and `source` for a configured source's
tool such as an MCP server's), and carry the arguments and a preview of the result or error:
secrets redacted (see redact.py) before long values are cut, so a cut never leaves half a key.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from crewai.events import crewai_event_bus
from crewai.events.base_events import BaseEvent
from crewai.events.event_context import SCOPE_STARTING_EVENTS
from crewai.events.types.agent_events import (
    AgentExecutionCompletedEvent,
    AgentExecutionErrorEvent,
    AgentExecutionStartedEvent,
)
from crewai.events.types.llm_events import (
    LLMCallCompletedEvent,
    LLMCallFailedEvent,
    LLMCallStartedEvent,
    LLMCallType,
    LLMStreamChunkEvent,
)
from crewai.events.types.memory_events import (
    MemoryQueryCompletedEvent,
    MemoryQueryFailedEvent,
    MemorySaveFailedEvent,
)
from crewai.events.types.task_events import TaskCompletedEvent, TaskFailedEvent, TaskStartedEvent
from crewai.events.types.tool_usage_events import (
    ToolSelectionErrorEvent,
    ToolUsageErrorEvent,
    ToolUsageFinishedEvent,
    ToolUsageStartedEvent,
    ToolValidateInputErrorEvent,
)

from kasal.engine.memory import MemoryRecordsSaved
from kasal.engine.redact import Redactor
from kasal.engine.spec import EngineEvent
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.factory import ToolOrigin
from kasal.engine.tools.knowledge import KnowledgeRetrievedEvent
from kasal.events import EventType

HOLD_S = 0.05
MAX_TEXT = 20_000
PREVIEW_CHARS = 2_000  # of each argument, result or error of a tool call
MEMORY_PREVIEW_CHARS = 200  # of each memory saved or recalled
MEMORY_PREVIEWS = 10  # memories listed at most per event

Emit = Callable[[EngineEvent], None]
Data = dict[str, Any]

_current: ContextVar[RunCapture | None] = ContextVar("kasal_run_capture", default=None)


class RunCapture:
    """The events of one run, from any thread in, in emission order out (on one thread)."""

    def __init__(
        self,
        emit: Emit,
        task_keys: dict[str, str],
        agent_keys: dict[str, str],
        *,
        tools: Mapping[str, ToolOrigin] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self._emit = emit
        self._task_keys = task_keys
        self._agent_keys = agent_keys
        self._tools = tools or {}
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._pending: list[tuple[int, int, float, BaseEvent]] = []
        self._arrivals = itertools.count()
        self._closed = False
        self._next = 1  # the emission_sequence to release next
        self._loop = asyncio.get_running_loop()
        self._started_at: dict[str, datetime] = {}
        self.failed_model: str | None = None  # model of the last failed LLM call

    def accept(self, event: BaseEvent) -> None:
        """Called by the bus handler, from whichever thread crewai uses."""
        with self._lock:
            if not self._closed:
                entry = (
                    event.emission_sequence or 0,
                    next(self._arrivals),
                    time.monotonic(),
                    event,
                )
                heapq.heappush(self._pending, entry)
                in_order = self._pending[0][0] <= self._next
            else:
                in_order = False
        if in_order:
            self._loop.call_soon_threadsafe(self.release)

    def restart_sequence(self) -> None:
        """crewai numbers events from 1 again at each kickoff."""
        with self._lock:
            self._next = 1

    def release(self, hold: float = HOLD_S) -> None:
        """Emit, in sequence order, every event whose predecessors are out, and any that
        has waited `hold` seconds for a number that did not come."""
        ready: list[BaseEvent] = []
        cutoff = time.monotonic() - hold
        with self._lock:
            while self._pending and (
                self._pending[0][0] <= self._next or self._pending[0][2] <= cutoff
            ):
                sequence, _, _, event = heapq.heappop(self._pending)
                self._next = max(self._next, sequence + 1)
                ready.append(event)
        for event in ready:
            converted = self._convert(event)
            if converted is not None:
                self._emit(converted)

    def close(self) -> None:
        """Drop whatever crewai emits from now on (e.g. a call finishing after a cancel)."""
        with self._lock:
            self._closed = True
            self._pending.clear()

    def _convert(self, event: BaseEvent) -> EngineEvent | None:
        if event.type in SCOPE_STARTING_EVENTS:
            self._started_at[event.event_id] = event.timestamp
        converter = _CONVERTERS.get(type(event))
        if converter is None:
            return None
        converted = converter(event)
        if converted is None:
            return None
        kind, data = converted
        task_key, agent_key = self._keys(event)
        if kind == EventType.llm_failed:
            self.failed_model = getattr(event, "model", None)
        if kind.endswith((".completed", ".failed")) and "duration_ms" not in data:
            data["duration_ms"] = self._duration_ms(event)
        if kind.startswith("tool."):
            data = self._tool_data(data)
        return EngineEvent(type=kind, task_key=task_key, agent_key=agent_key, data=data)

    def _tool_data(self, data: Data) -> Data:
        """The tool named as the crew names it; what it was given and gave, redacted, cut."""
        origin = self._tools.get(data["tool"]) or ToolOrigin(data["tool"])
        named: Data = {"tool": data["tool"], "tool_id": origin.tool_id}
        if origin.source is not None:
            named["source"] = origin.source
        return named | {
            key: _preview(self._redactor.value(value)) if key in _TOOL_PAYLOAD else value
            for key, value in data.items()
            if key != "tool"
        }

    def _keys(self, event: BaseEvent) -> tuple[str | None, str | None]:
        task = getattr(event, "task", None)
        agent = getattr(event, "agent", None) or getattr(task, "agent", None)
        task_id = event.task_id or _id(task)
        agent_id = event.agent_id or _id(agent)
        return (
            self._task_keys.get(task_id) if task_id else None,
            self._agent_keys.get(agent_id) if agent_id else getattr(event, "agent_key", None),
        )

    def _duration_ms(self, event: BaseEvent) -> int | None:
        started = self._started_at.pop(event.started_event_id or "", None)
        if started is None:
            return None
        return round((event.timestamp - started).total_seconds() * 1000)


@contextmanager
def capturing(capture: RunCapture) -> Iterator[None]:
    """Attribute the crewai events emitted in this context (and its copies) to `capture`."""
    token = _current.set(capture)
    try:
        yield
    finally:
        _current.reset(token)


def _on_event(source: Any, event: BaseEvent) -> None:
    capture = _current.get()
    if capture is not None:
        capture.accept(event)


_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Register the listener on crewai's bus, once per process."""
    global _installed
    with _install_lock:
        if not _installed:
            # Every class, not only those converted: their numbers keep the sequence whole.
            for event_type in _all_event_classes():
                crewai_event_bus.register_handler(event_type, _on_event)
            _installed = True


def _all_event_classes() -> set[type[BaseEvent]]:
    found: set[type[BaseEvent]] = set()
    pending = [BaseEvent]
    while pending:
        for subclass in pending.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                pending.append(subclass)
    return found


def _id(obj: Any) -> str | None:
    value = getattr(obj, "id", None)
    return str(value) if value is not None else None


def _clip(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… [{len(text)} chars]"


_TOOL_PAYLOAD = frozenset({"args", "output", "error"})


def _preview(value: Any) -> Any:
    """`value` with every string cut to PREVIEW_CHARS (file contents, long pages...)."""
    if isinstance(value, str):
        if len(value) <= PREVIEW_CHARS:
            return value
        return value[:PREVIEW_CHARS] + f"… [{len(value)} chars]"
    if isinstance(value, dict):
        return {key: _preview(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_preview(item) for item in value]
    return value


def _error(error: Any) -> str:
    """What went wrong: a tool's own refusal as it worded it, anything else with its type."""
    if isinstance(error, BaseException) and not isinstance(error, ToolError):
        return f"{type(error).__name__}: {error}"
    return str(error)


def _usage(event: LLMCallCompletedEvent) -> Data:
    usage = event.usage or {}
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
    }


def _tool_finished(event: ToolUsageFinishedEvent) -> tuple[EventType, Data]:
    data: Data = {
        "tool": event.tool_name,
        "args": event.tool_args,
        "from_cache": event.from_cache,
        "duration_ms": round((event.finished_at - event.started_at).total_seconds() * 1000),
    }
    if event.failure is not None:
        return EventType.tool_failed, data | {"error": event.failure.message}
    return EventType.tool_completed, data | {"output": str(event.output)}


def _chunk(event: LLMStreamChunkEvent) -> tuple[EventType, Data] | None:
    if not event.chunk or event.call_type == LLMCallType.TOOL_CALL:
        return None  # tool-call arguments being streamed are not text for the reader
    return EventType.llm_chunk, {"text": event.chunk, "call_id": event.call_id}


def _short(text: str) -> str:
    return text if len(text) <= MEMORY_PREVIEW_CHARS else text[:MEMORY_PREVIEW_CHARS] + "…"


def _recalled(event: MemoryQueryCompletedEvent) -> tuple[EventType, Data]:
    matches = list(event.results or [])
    return EventType.memory_recalled, {
        "query": _short(event.query),
        "count": len(matches),
        "memories": [
            {"id": m.record.id, "preview": _short(m.record.content), "score": round(m.score, 4)}
            for m in matches[:MEMORY_PREVIEWS]
        ],
    }


def _saved(event: MemoryRecordsSaved) -> tuple[EventType, Data]:
    return EventType.memory_saved, {
        "count": len(event.contents),
        "memories": [{"preview": _short(text)} for text in event.contents[:MEMORY_PREVIEWS]],
    }


def _memory_warning(what: str) -> Converter:
    return lambda e: (
        EventType.log,
        {"level": "warning", "message": _clip(f"{what} failed: {e.error}")},
    )


Converter = Callable[[Any], tuple[EventType, Data] | None]

_CONVERTERS: dict[type[BaseEvent], Converter] = {
    TaskStartedEvent: lambda e: (EventType.task_started, {"name": e.task_name}),
    TaskCompletedEvent: lambda e: (
        EventType.task_completed,
        {"name": e.task_name, "output": _clip(e.output.raw)},
    ),
    TaskFailedEvent: lambda e: (
        EventType.task_failed,
        {"name": e.task_name, "error": _clip(e.error)},
    ),
    AgentExecutionStartedEvent: lambda e: (EventType.agent_started, {"role": e.agent.role}),
    AgentExecutionCompletedEvent: lambda e: (
        EventType.agent_completed,
        {"role": e.agent.role, "output": _clip(e.output)},
    ),
    AgentExecutionErrorEvent: lambda e: (
        EventType.agent_failed,
        {"role": e.agent.role, "error": _clip(e.error)},
    ),
    ToolUsageStartedEvent: lambda e: (
        EventType.tool_started,
        {"tool": e.tool_name, "args": e.tool_args},
    ),
    ToolUsageFinishedEvent: _tool_finished,
    ToolUsageErrorEvent: lambda e: (
        EventType.tool_failed,
        {"tool": e.tool_name, "args": e.tool_args, "error": _error(e.error)},
    ),
    ToolSelectionErrorEvent: lambda e: (
        EventType.log,
        {"level": "warning", "message": _clip(f"Tool selection failed: {e.error}")},
    ),
    ToolValidateInputErrorEvent: lambda e: (
        EventType.log,
        {"level": "warning", "message": _clip(f"Invalid tool input: {e.error}")},
    ),
    LLMCallStartedEvent: lambda e: (
        EventType.llm_started,
        {"model": e.model, "call_id": e.call_id},
    ),
    LLMCallCompletedEvent: lambda e: (
        EventType.llm_completed,
        {"model": e.model, "call_id": e.call_id} | _usage(e),
    ),
    LLMCallFailedEvent: lambda e: (
        EventType.llm_failed,
        {"model": e.model, "call_id": e.call_id, "error": _clip(e.error)},
    ),
    LLMStreamChunkEvent: _chunk,
    MemoryQueryCompletedEvent: _recalled,
    MemoryRecordsSaved: _saved,
    MemoryQueryFailedEvent: _memory_warning("Memory recall"),
    MemorySaveFailedEvent: _memory_warning("Memory save"),
    KnowledgeRetrievedEvent: lambda e: (
        EventType.knowledge_retrieved,
        {"query": _clip(e.query), "bases": e.bases, "hits": e.hits},
    ),
}
