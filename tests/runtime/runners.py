"""Runners for the runtime tests, loaded by real worker processes as "tests.runtime.runners:…".

Each one behaves like a well- or badly-behaved engine, so the pool's mechanism is exercised
without crewai. Options travel in `request.inputs`.
"""

import asyncio
import os
import sys
import time

from kasal.engine.spec import EngineEvent, RunRequest, RunResult
from kasal.events import EventType
from kasal.runtime.worker import Emit


def _started(request: RunRequest, emit: Emit, **data: object) -> None:
    emit(
        EngineEvent(
            type=EventType.crew_started, data={"execution_id": request.execution_id, **data}
        )
    )


async def emit_events(request: RunRequest, emit: Emit) -> RunResult:
    """`count` events of `size` bytes, `delay` seconds apart, each naming its run."""
    count = int(request.inputs.get("count", "3"))
    delay = float(request.inputs.get("delay", "0"))
    padding = "x" * int(request.inputs.get("size", "0"))
    for index in range(count):
        data = {"execution_id": request.execution_id, "index": index, "padding": padding}
        emit(EngineEvent(type=EventType.log, data=data))
        await asyncio.sleep(delay)
    return RunResult(status="succeeded", result=f"{request.execution_id} done")


async def sleep_forever(request: RunRequest, emit: Emit) -> RunResult:
    """Cooperative: cancelling the task ends it."""
    _started(request, emit)
    await asyncio.sleep(3600)
    return RunResult(status="succeeded")


async def ignore_cancel(request: RunRequest, emit: Emit) -> RunResult:
    """Swallows every cancellation, yet keeps the loop (and the heartbeats) going."""
    _started(request, emit)
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            emit(EngineEvent(type=EventType.log, data={"message": "cancel ignored"}))


async def block_loop(request: RunRequest, emit: Emit) -> RunResult:
    """Blocks the worker's event loop, as a synchronous call inside a run would."""
    _started(request, emit)
    time.sleep(3600)  # noqa: ASYNC251 - blocking the loop is the behaviour under test
    return RunResult(status="succeeded")


async def fail(request: RunRequest, emit: Emit) -> RunResult:
    _started(request, emit)
    raise ValueError("boom")


async def exit_process(request: RunRequest, emit: Emit) -> RunResult:
    """Takes the whole worker down, as a crash in native code would."""
    _started(request, emit)
    os._exit(3)


async def spawn_child(request: RunRequest, emit: Emit) -> RunResult:
    """Starts a subprocess, as an MCP tool would, and reports its pid."""
    child = await asyncio.create_subprocess_exec("sleep", "3600")
    _started(request, emit, child_pid=child.pid)
    await asyncio.sleep(3600)
    return RunResult(status="succeeded")


async def describe_worker(request: RunRequest, emit: Emit) -> RunResult:
    """What the worker process looks like from inside a run."""
    llm = request.llms.get("main")
    return RunResult(
        status="succeeded",
        task_outputs={
            "api_key": llm.api_key.get_secret_value() if llm and llm.api_key else "",
            "crewai_imported": str("crewai" in sys.modules),
            "warm_imported": str("tests.runtime.warm" in sys.modules),
            "storage_dir": os.environ.get("CREWAI_STORAGE_DIR", ""),
        },
    )
