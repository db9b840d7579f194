"""Showing a run as it happens: a live table on a terminal, one line per step elsewhere.

Fed the execution's events (`update(event)`), from the server's stream or from an
in-process run alike. It writes to its own console (stderr), never to stdout, so a
script's output stays clean.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from kasal.client.models import Event
from kasal.events import EventType

Mode = Literal["live", "lines", "off"]

_ICONS = {"pending": "·", "running": "▶", "completed": "✓", "failed": "✗"}
_STYLES = {"pending": "dim", "running": "yellow", "completed": "green", "failed": "red"}
_STATUS_STYLES = {
    "succeeded": "bold green",
    "failed": "bold red",
    "cancelled": "bold yellow",
    "interrupted": "bold red",
    "cancelling": "yellow",
    "waiting": "bold magenta",
}


@dataclass
class _TaskRow:
    name: str
    agent: str | None = None
    state: str = "pending"
    tools: int = 0
    tokens: int = 0
    started: float | None = None
    seconds: float | None = None


@dataclass
class RunState:
    """What the events said so far."""

    status: str = "queued"
    tasks: dict[str, _TaskRow] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)  # key → role
    tool_calls: deque[str] = field(default_factory=lambda: deque(maxlen=4))
    tokens: int = 0
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def task(self, key: str | None) -> _TaskRow | None:
        if key is None:
            return None
        return self.tasks.setdefault(key, _TaskRow(name=key))

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


def console() -> Console:
    """Progress goes to stderr: stdout is for results a script may capture."""
    return Console(stderr=True)


class RunProgress:
    """Use as a context manager; `update(event)` for each event."""

    def __init__(
        self,
        console: Console,
        mode: Mode = "live",
        *,
        title: str = "",
        tasks: list[tuple[str, str, str | None]] | None = None,
        agents: dict[str, str] | None = None,
    ) -> None:
        """`tasks`: (key, name, agent key) in run order, to show the rows from the start."""
        self.console = console
        self.mode = mode
        self.title = title
        self.state = RunState(agents=dict(agents or {}))
        for key, name, agent in tasks or []:
            self.state.tasks[key] = _TaskRow(name=name or key, agent=agent)
        self._live: Live | None = None

    def __enter__(self) -> RunProgress:
        if self.mode == "live":
            self._live = Live(self, console=self.console, refresh_per_second=8, transient=False)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.state.ended = self.state.ended or time.monotonic()
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)
            self._live = None

    def __rich__(self) -> RenderableType:
        return self.render()

    def update(self, event: Event) -> None:
        line = self._apply(event)
        if self.mode == "lines" and line is not None:
            self.console.print(line, highlight=False, soft_wrap=True)
        elif self._live is not None:
            self._live.refresh()

    def _apply(self, event: Event) -> str | None:
        """Fold the event into the state; the line to print in "lines" mode, if any."""
        state, data, kind = self.state, event.data, event.type
        row = state.task(event.task_key)
        if event.agent_key and isinstance(data.get("role"), str):
            state.agents[event.agent_key] = data["role"]
        if row is not None and event.agent_key:
            row.agent = row.agent or event.agent_key
        if kind.startswith("execution."):
            name = kind.removeprefix("execution.")
            state.status = "running" if name == "started" else name  # the status, not the event
            if event.is_final:
                state.ended = time.monotonic()
                state.error = state.error or _text(data.get("error"))
            return None
        if kind == EventType.crew_failed:
            state.error = _text(data.get("error"))
            return f"[red]✗ run failed:[/red] {escape(state.error or '')}"
        if kind == EventType.task_started and row is not None:
            if row.name == event.task_key:  # no better label was given up front
                row.name = _text(data.get("name")) or row.name
            row.state, row.started = "running", time.monotonic()
            return f"▶ {escape(row.name)}{self._by(row)}"
        if kind in (EventType.task_completed, EventType.task_failed) and row is not None:
            row.state = "completed" if kind == EventType.task_completed else "failed"
            row.seconds = _seconds(data, row.started)
            if kind == EventType.task_failed:
                return f"[red]✗ {escape(row.name)}:[/red] {escape(_text(data.get('error')))}"
            took = f" in {row.seconds:.1f}s" if row.seconds is not None else ""
            return f"[green]✓[/green] {escape(row.name)}{took}, {row.tokens:,} tokens"
        if kind == EventType.tool_started:
            if row is not None:
                row.tools += 1
            call = f"{_text(data.get('tool'))}({_short(data.get('args'))})"
            state.tool_calls.append(call)
            return f"  [cyan]⚙ {escape(call)}[/cyan]"
        if kind == EventType.tool_failed:
            return f"  [red]⚙ {escape(_text(data.get('tool')))} failed:[/red] " + escape(
                _short(data.get("error"), 160)
            )
        if kind == EventType.llm_completed:
            tokens = int(data.get("total_tokens") or 0)
            state.tokens += tokens
            if row is not None:
                row.tokens += tokens
            return None
        if kind == EventType.log and data.get("level") in ("warning", "error"):
            return f"[yellow]! {escape(_text(data.get('message')))}[/yellow]"
        return None

    def _by(self, row: _TaskRow) -> str:
        role = self.state.agents.get(row.agent or "", row.agent or "")
        return f" [dim]({escape(role)})[/dim]" if role else ""

    def render(self) -> RenderableType:
        state = self.state
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        table.add_column("", width=1)
        table.add_column("Task", overflow="ellipsis", no_wrap=True, max_width=48)
        table.add_column("Agent", overflow="ellipsis", max_width=28, style="cyan")
        table.add_column("Tools", justify="right")
        table.add_column("Tokens", justify="right")
        table.add_column("Time", justify="right")
        now = time.monotonic()
        for row in state.tasks.values():
            seconds = row.seconds
            if seconds is None and row.started is not None and row.state == "running":
                seconds = now - row.started
            table.add_row(
                Text(_ICONS.get(row.state, "·"), style=_STYLES.get(row.state, "")),
                Text(row.name, style=_STYLES["pending"] if row.state == "pending" else ""),
                state.agents.get(row.agent or "", row.agent or ""),
                str(row.tools) if row.tools else "",
                f"{row.tokens:,}" if row.tokens else "",
                f"{seconds:.1f}s" if seconds is not None else "",
            )
        status = Text.assemble(
            (f"{self.title}  " if self.title else "", "bold"),
            (state.status, _STATUS_STYLES.get(state.status, "yellow")),
            f"  {state.elapsed():.1f}s  {state.tokens:,} tokens",
        )
        parts: list[RenderableType] = [status, table]
        if state.tool_calls and state.ended is None:
            parts.append(Text("tools: " + "  ".join(state.tool_calls), style="dim cyan"))
        if state.error:
            parts.append(Text(state.error, style="red"))
        return Group(*parts)

    def summary(self) -> str:
        """One line for the end of a run ("succeeded in 3.2s, 1,234 tokens")."""
        state = self.state
        return f"{state.status} in {state.elapsed():.1f}s, {state.tokens:,} tokens"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _short(value: Any, limit: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v!r}" for k, v in value.items())
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(data: dict[str, Any], started: float | None) -> float | None:
    duration = data.get("duration_ms")
    if isinstance(duration, int | float):
        return duration / 1000
    return time.monotonic() - started if started is not None else None
