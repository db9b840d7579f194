"""The run display: one line per step off a terminal, a live table on one."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from kasal.client.models import Event
from kasal.client.progress import RunProgress

RUN = uuid.uuid4()


def _events() -> list[Event]:
    steps: list[tuple[str, str | None, str | None, dict[str, Any]]] = [
        ("execution.queued", None, None, {}),
        ("execution.started", None, None, {}),
        ("crew.started", None, None, {"crew": "Brief"}),
        ("task.started", "research", "researcher", {"name": "Research"}),
        ("agent.started", "research", "researcher", {"role": "Researcher"}),
        ("llm.completed", "research", "researcher", {"total_tokens": 120}),
        ("tool.started", "research", "researcher", {"tool": "http_request", "args": {"url": "x"}}),
        ("tool.failed", "research", "researcher", {"tool": "http_request", "error": "refused"}),
        ("llm.completed", "research", "researcher", {"total_tokens": 80}),
        ("task.completed", "research", "researcher", {"name": "Research", "duration_ms": 1500}),
        ("task.started", "write", "writer", {"name": "Write"}),
        ("task.failed", "write", "writer", {"name": "Write", "error": "model down"}),
        ("crew.failed", None, None, {"error": "model down"}),
        ("execution.failed", None, None, {"error": "model down"}),
    ]
    now = datetime.now(UTC)
    return [
        Event(execution_id=RUN, seq=i, type=t, ts=now, task_key=task, agent_key=agent, data=d)
        for i, (t, task, agent, d) in enumerate(steps, start=1)
    ]


def test_off_a_terminal_each_step_is_one_line() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=False, color_system=None)
    with RunProgress(console, "lines", title="Brief") as progress:
        for event in _events():
            progress.update(event)

    lines = buffer.getvalue().splitlines()
    assert lines == [
        "▶ Research (researcher)",
        "  ⚙ http_request(url='x')",
        "  ⚙ http_request failed: refused",
        "✓ Research in 1.5s, 200 tokens",
        "▶ Write (writer)",
        "✗ Write: model down",
        "✗ run failed: model down",
    ]
    assert progress.state.status == "failed"
    assert progress.state.tokens == 200
    assert progress.summary().startswith("failed in ")


def test_the_live_table_shows_tasks_agents_tools_and_tokens() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system=None)
    progress = RunProgress(
        console,
        "live",
        title="Brief",
        tasks=[("research", "Research", "researcher"), ("write", "Write", "writer")],
        agents={"researcher": "Researcher", "writer": "Writer"},
    )
    with progress:
        for event in _events()[:9]:
            progress.update(event)
        console.print(progress.render())

    shown = buffer.getvalue()
    for expected in ("Brief", "running", "Research", "Researcher", "Write", "200", "http_request"):
        assert expected in shown, expected


def test_the_off_mode_prints_nothing() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer)
    with RunProgress(console, "off") as progress:
        for event in _events():
            progress.update(event)
    assert buffer.getvalue() == ""
    assert progress.state.status == "failed"
