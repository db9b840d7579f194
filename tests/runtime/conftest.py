"""A recording pool owner and a factory of small, fast pools that are always stopped."""

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kasal.engine.spec import CrewSpec, EngineEvent, RunRequest, RunResult
from kasal.runtime import WorkerPool

RUNNERS = "tests.runtime.runners"


def request(execution_id: str, **inputs: str) -> RunRequest:
    crew = CrewSpec(name="test", agents=[], tasks=[])
    return RunRequest(execution_id=execution_id, crew=crew, inputs=inputs, work_dir=".")


@dataclass
class Recorder:
    """Keeps every callback, in the order the pool made them."""

    log: list[tuple[str, str]] = field(default_factory=list)  # (execution id, kind)
    events: dict[str, list[EngineEvent]] = field(default_factory=dict)
    finished: dict[str, RunResult] = field(default_factory=dict)
    lost: dict[str, str] = field(default_factory=dict)
    event_delay: float = 0.0

    async def on_event(self, execution_id: str, event: EngineEvent) -> None:
        await asyncio.sleep(self.event_delay)
        self.log.append((execution_id, "event"))
        self.events.setdefault(execution_id, []).append(event)

    async def on_finished(self, execution_id: str, result: RunResult) -> None:
        self.log.append((execution_id, "finished"))
        self.finished[execution_id] = result

    async def on_lost(self, execution_id: str, reason: str) -> None:
        self.log.append((execution_id, "lost"))
        self.lost[execution_id] = reason

    def outcomes(self, execution_id: str) -> list[str]:
        return [kind for run, kind in self.log if run == execution_id and kind != "event"]


async def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Polls: pool state (free slots, pids) changes without telling anyone."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(0.02)


def alive(pid: int) -> bool:
    """Running, not a zombie: a container's init may never reap what it inherits."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def live_children() -> set[int]:
    """Living children of this test process (other tests' servers may have some too)."""
    children = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat_file.read_text().rpartition(")")[2].split()[:2]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(parent) == os.getpid() and state != "Z":
            children.add(int(stat_file.parent.name))
    return children


PoolFactory = Callable[..., Awaitable[tuple[WorkerPool, Recorder]]]


@pytest.fixture
async def make_pool(tmp_path: Path) -> AsyncIterator[PoolFactory]:
    """Pools with no warm-up and short timeouts, so the suite stays fast."""
    pools: list[WorkerPool] = []

    async def make(**options: Any) -> tuple[WorkerPool, Recorder]:
        recorder = Recorder(event_delay=options.pop("event_delay", 0.0))
        settings: dict[str, Any] = {
            "size": 1,
            "concurrency": 2,
            "storage_dir": tmp_path / "crewai",
            "runner": f"{RUNNERS}:emit_events",
            "warmup": None,
            "heartbeat_timeout": 2.0,
            "cancel_grace": 0.5,
        }
        pool = WorkerPool(owner=recorder, **(settings | options))
        pools.append(pool)
        await pool.start()
        return pool, recorder

    yield make
    for pool in pools:
        await pool.stop()
