"""Spans for a timeline chart, derived from the event log (the log is the only record).

A `<kind>.started` event opens a span; the next `<kind>.completed` or `<kind>.failed`
with the same flow step, task and agent closes the most recent open one. Parents nest by
kind: flow > step > crew > task > agent > llm | tool; a flow step's crew (its events carry
the step's key) nests under that step, so parallel steps' crews never close each other's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kasal.executions.models import Execution
from kasal.executions.schemas import EventRead, Span, Trace

_KINDS = ("flow", "step", "crew", "task", "agent", "llm", "tool")
_ENDINGS = {"completed": "completed", "failed": "failed"}
_NAME_FIELDS = {"llm": "model", "tool": "tool"}
_Key = tuple[str, str | None, str | None, str | None]  # kind, step, task, agent


@dataclass(frozen=True)
class TracedSpan:
    """A span with the events that opened and closed it (None: never closed), for
    readers that need more of them than the timeline shows (the MLflow export)."""

    span: Span
    started: EventRead
    ended: EventRead | None


def build_trace(execution: Execution, events: list[EventRead]) -> Trace:
    return Trace(spans=[traced.span for traced in trace_spans(execution, events)])


def trace_spans(execution: Execution, events: list[EventRead]) -> list[TracedSpan]:
    spans: list[dict[str, Any]] = []
    started: list[EventRead] = []
    ended: dict[str, EventRead] = {}
    open_spans: defaultdict[_Key, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        kind, _, phase = event.type.partition(".")
        if kind not in _KINDS:
            continue
        key = (kind, event.step_key, event.task_key, event.agent_key)
        if phase == "started":
            span = _open(kind, event, execution, len(spans), _parent(open_spans, event, kind))
            spans.append(span)
            started.append(event)
            open_spans[key].append(span)
        elif phase in _ENDINGS and open_spans[key]:
            span = open_spans[key].pop()
            _close(span, event, _ENDINGS[phase])
            ended[span["id"]] = event
    return [
        TracedSpan(Span.model_validate(span), start, ended.get(span["id"]))
        for span, start in zip(spans, started, strict=True)
    ]


def _open(
    kind: str, event: EventRead, execution: Execution, n: int, parent: str | None
) -> dict[str, Any]:
    name = {
        "flow": execution.crew_name,
        "step": event.data.get("name") or event.step_key or "step",
        "crew": event.data.get("crew") or execution.crew_name,
        "task": event.data.get("name") or event.task_key or "task",
        "agent": event.data.get("role") or event.agent_key or "agent",
    }.get(kind) or str(event.data.get(_NAME_FIELDS[kind]) or kind)
    return {
        "id": f"{kind}-{n}",
        "parent_id": parent,
        "kind": kind,
        "name": name,
        "start": event.ts,
        "end": None,
        "duration_ms": None,
        "tokens": None,
        "status": "running",
    }


def _close(span: dict[str, Any], event: EventRead, status: str) -> None:
    start: datetime = span["start"]
    span["end"] = event.ts
    span["duration_ms"] = event.data.get("duration_ms") or int(
        (event.ts - start).total_seconds() * 1000
    )
    tokens = event.data.get("total_tokens")
    if tokens is None and "prompt_tokens" in event.data:
        tokens = event.data.get("prompt_tokens", 0) + event.data.get("completion_tokens", 0)
    span["tokens"] = tokens
    span["status"] = status


def _parent(
    open_spans: defaultdict[_Key, list[dict[str, Any]]],
    event: EventRead,
    kind: str,
) -> str | None:
    """The innermost open span of an enclosing kind that this event belongs to."""
    for outer in reversed(_KINDS[: _KINDS.index(kind)]):
        candidates = [
            span
            for (k, step, task, agent), stack in open_spans.items()
            if k == outer
            and (step is None or step == event.step_key)
            and (task is None or task == event.task_key)
            and (agent is None or agent == event.agent_key)
            for span in stack
        ]
        if candidates:
            return str(candidates[-1]["id"])
    return None
