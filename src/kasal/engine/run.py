"""Run one crew: `await run_crew(request, emit)` → RunResult.

Events: `crew.started` first; then the captured crewai events (see capture.py);
then exactly one of `crew.completed` / `crew.failed`. `emit` is called on the
event loop running `run_crew`, never from another thread, and must not block.

Failures never raise: a bad spec, a provider that is down or refuses the key, a
tool that breaks the run... all return `RunResult(status="failed", error=...)`
with a message the user can act on, after a `crew.failed` event.

Memory: its saves run in a background thread; the run waits for them before it reports
its end (see `_close_memory`).

Pauses: a sequential crew with `human_input` tasks runs in segments (see pause.py). A
segment that ends on an asking task returns `RunResult(status="waiting")` with what to ask
and a checkpoint, and emits no `crew.*` event: the run is not over. Resumed
(`request.resume`), the run emits no second `crew.started`; it goes on from the checkpoint
(`approve`), runs the asking task again with the person's reply (`reply`), or fails with an
error starting "Rejected" (`reject`). Usage adds up over the segments.

Storage: crewai's kickoff task-output store lives in the run's folder while the run
lasts (see `_private_task_outputs`); nothing of a run is left in crewai's shared
storage dir for another run, of any group, to find.

Cancellation: cancelling the task that awaits `run_crew` stops the run at once
(crewai's `akickoff` is cancellable). The events captured before the cancel are
emitted, nothing after (no `crew.*` event), and `CancelledError` propagates: the
caller records the run as cancelled. The MCP servers the crew's tools name are connected
before the build and disconnected when the run ends, however it ends: a stdio server is
stopped with it (see `tools/mcp.py`). An LLM call already in flight runs on in
its crewai worker thread until the provider answers; its events are dropped.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crewai import Crew, CrewOutput
from crewai.events import crewai_event_bus
from crewai.llms.base_llm import BaseLLM
from crewai.memory.storage.kickoff_task_outputs_storage import KickoffTaskOutputsSQLiteStorage
from crewai.utilities.task_output_storage_handler import TaskOutputStorageHandler
from pydantic import ValidationError

from kasal.engine.build import BuiltCrew, build_crew
from kasal.engine.capture import Emit, RunCapture, capturing, install
from kasal.engine.env import TASK_OUTPUTS_FILE
from kasal.engine.errors import explain
from kasal.engine.memory import preload as preload_memory
from kasal.engine.paths import private_dir
from kasal.engine.pause import (
    BadCheckpoint,
    FinishedTask,
    Segment,
    added,
    ask,
    checkpoint,
    segment_of,
)
from kasal.engine.planning import plan_tasks
from kasal.engine.redact import Redactor
from kasal.engine.spec import EngineEvent, LLMConfig, RunRequest, RunResult, Usage
from kasal.engine.tools import mcp as mcp_tools
from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import FileWriteConfig
from kasal.engine.tools.files import FileWriteTool
from kasal.engine.tools.mcp_client import McpUnavailable
from kasal.events import EventType

PUMP_INTERVAL_S = 0.02
FLUSH_TIMEOUT_S = 10.0
OUTPUT_FILE_MAX = 50_000_000  # bytes: the most the file_write tool may ever write
TASK_OUTPUTS_DIR = ".crewai"  # in the run's folder, removed when the run ends


async def run_crew(request: RunRequest, emit: Emit) -> RunResult:
    install()
    started = time.monotonic()
    if request.resume is None:
        emit(
            EngineEvent(
                type=EventType.crew_started,
                data={
                    "execution_id": request.execution_id,
                    "crew": request.crew.name,
                    "process": request.crew.process,
                    "inputs": dict(request.inputs),
                },
            )
        )
    try:
        segment = segment_of(request)
    except BadCheckpoint as exc:
        return _failed(emit, f"The run cannot go on: {exc}", Usage(), started)
    if request.resume is not None and request.resume.decision == "reject":
        return _failed(emit, _rejected(request), segment.usage, started)
    if segment.empty:  # approved the last task: its output is the crew's
        return _completed(emit, request, segment, started)
    try:
        async with mcp_tools.connected(request) as servers:  # kept for as long as the run
            return await _run(request, emit, started, servers, segment)
    except McpUnavailable as exc:
        return _failed(emit, f"The crew cannot start: {exc}", segment.usage, started)


def _rejected(request: RunRequest) -> str:
    resume = request.resume
    assert resume is not None  # noqa: S101 (only called for a resumed run)
    where = resume.checkpoint.get("paused_at")
    comment = (resume.comment or "").strip()
    return f"Rejected at the review of task {where!r}" + (f": {comment}" if comment else ".")


def _completed(emit: Emit, request: RunRequest, segment: Segment, started: float) -> RunResult:
    last = segment.done[request.crew.tasks[-1].key]
    result = RunResult(
        status="succeeded",
        result=last.raw,
        task_outputs={key: task.text for key, task in segment.done.items()},
        usage=segment.usage,
    )
    _emit_completed(emit, result, started)
    return result


async def _run(
    request: RunRequest,
    emit: Emit,
    started: float,
    servers: Mapping[str, mcp_tools.ConnectedServer],
    segment: Segment,
) -> RunResult:
    spec = request.crew
    if spec.memory != "off" and spec.embedder in request.llms:
        await asyncio.to_thread(preload_memory, request.llms[spec.embedder])
    try:
        built = build_crew(request, servers, segment)
    except (ValidationError, ValueError, LookupError) as exc:  # crewai refusing the objects
        return _failed(emit, f"The crew cannot be built: {exc}", segment.usage, started)
    except Exception as exc:  # EngineError, or anything unforeseen: still a result
        return _failed(emit, explain(exc, request.llms), segment.usage, started)
    capture = RunCapture(
        emit,
        built.task_keys,
        built.agent_keys,
        tools=built.tools,
        redactor=Redactor(request.secrets()),
    )
    pump = asyncio.create_task(_pump(capture))
    try:
        with capturing(capture), _private_task_outputs(built.crew, Path(request.work_dir)):
            if request.crew.planning:
                await asyncio.to_thread(plan_tasks, built.crew)
                await _settle(capture)
                capture.restart_sequence()  # kickoff numbers crewai's events from 1 again
            output = await built.crew.akickoff(inputs=dict(request.inputs))
    except asyncio.CancelledError:
        pump.cancel()
        capture.release(hold=0)
        capture.close()
        raise
    except Exception as exc:  # a failed run is a result, not a crash of the worker
        await _close_memory(built)
        await _drain(capture, pump)
        message = explain(exc, request.llms, capture.failed_model)
        # The tasks that finished keep their files, as with crewai.
        unwritten = await asyncio.to_thread(_write_output_files, built, Path(request.work_dir))
        message = " ".join([message, *unwritten])
        return _failed(emit, message, _total(built, request, segment), started)
    await _close_memory(built)
    await _drain(capture, pump)
    # Off the event loop: the worker's other runs go on while a large output is written.
    unwritten = await asyncio.to_thread(_write_output_files, built, Path(request.work_dir))
    usage = _total(built, request, segment)
    if unwritten:
        return _failed(emit, " ".join(unwritten), usage, started)
    if spec.tasks[segment.stop].human_input:
        return _waiting(built, request, segment, usage)
    result = RunResult(
        status="succeeded",
        result=_final_text(output),
        task_outputs=_task_outputs(built),
        usage=usage,
    )
    _emit_completed(emit, result, started)
    return result


def _waiting(built: BuiltCrew, request: RunRequest, segment: Segment, usage: Usage) -> RunResult:
    """The segment ended on an asking task: what to ask, and all it takes to go on."""
    finished = dict(segment.done)
    for key in segment.keys(request.crew):
        output = built.tasks[key].output
        if output is not None:
            finished[key] = FinishedTask(output.raw, output.json_dict or None)
    asking = request.crew.tasks[segment.stop]
    return RunResult(
        status="waiting",
        task_outputs=_task_outputs(built),
        usage=usage,
        ask=ask(asking, finished[asking.key].text),
        checkpoint=checkpoint(asking.key, finished, usage),
    )


def _total(built: BuiltCrew, request: RunRequest, segment: Segment) -> Usage:
    """This segment's usage on top of the earlier segments'."""
    return added(segment.usage, _usage(built.llms, request.llms))


def _emit_completed(emit: Emit, result: RunResult, started: float) -> None:
    emit(
        EngineEvent(
            type=EventType.crew_completed,
            data={
                "result": result.result,
                "usage": result.usage.model_dump(),
                "duration_ms": _elapsed_ms(started),
            },
        )
    )


class _RunTaskOutputs(TaskOutputStorageHandler):
    """crewai's task-output store (what `crewai replay` reads) in a file of one run's own."""

    def __init__(self, db_path: Path) -> None:  # not super(): it opens the shared file
        self.storage = KickoffTaskOutputsSQLiteStorage(str(db_path))


@contextmanager
def _private_task_outputs(crew: Crew, work_dir: Path) -> Iterator[None]:
    """Keep this run's task outputs out of crewai's shared store, and delete them after.

    By default every crew writes its task outputs to one SQLite file in crewai's storage
    dir (`latest_kickoff_task_outputs.db`), shared by every run of the worker process:
    each kickoff empties it first (concurrent runs wipe each other's rows) and the last
    run's outputs stay there for the next run, of any group, to find. A per-run
    environment variable cannot help (the environment is process-wide); the crew's
    handler is the seam, and Kasal never replays, so the file goes when the run ends.
    """
    store = private_dir(work_dir / TASK_OUTPUTS_DIR)
    crew._task_output_handler = _RunTaskOutputs(store / TASK_OUTPUTS_FILE)
    try:
        yield
    finally:
        shutil.rmtree(store, ignore_errors=True)


async def _close_memory(built: BuiltCrew) -> None:
    """Wait for the memory's background saves, so that a run reported as ended has saved
    all it remembers (the next run recalls it) and their events are in its log."""
    if built.memory is not None:
        await asyncio.to_thread(built.memory.close)


async def _pump(capture: RunCapture) -> None:
    while True:
        await asyncio.sleep(PUMP_INTERVAL_S)
        capture.release()


async def _settle(capture: RunCapture) -> None:
    """Wait for crewai's handlers to finish, then emit everything they captured."""
    await asyncio.to_thread(crewai_event_bus.flush, FLUSH_TIMEOUT_S)
    capture.release(hold=0)


async def _drain(capture: RunCapture, pump: asyncio.Task[None]) -> None:
    pump.cancel()
    await _settle(capture)
    capture.close()


def _failed(emit: Emit, message: str, usage: Usage, started: float) -> RunResult:
    emit(
        EngineEvent(
            type=EventType.crew_failed,
            data={
                "error": message,
                "usage": usage.model_dump(),
                "duration_ms": _elapsed_ms(started),
            },
        )
    )
    return RunResult(status="failed", error=message, usage=usage)


def _task_outputs(built: BuiltCrew) -> dict[str, str]:
    """Each finished task's text; a JSON task's parsed object, re-serialised."""
    outputs = {}
    for key, task in built.tasks.items():
        if task.output is not None:
            parsed = task.output.json_dict
            outputs[key] = json.dumps(parsed, ensure_ascii=False) if parsed else task.output.raw
    return outputs


def _write_output_files(built: BuiltCrew, work_dir: Path) -> list[str]:
    """Write each finished task's output to its `output_file`; what could not be written.

    CrewAI's own format: a JSON task's object indented, any other task's raw text. The
    write goes through the `file_write` tool's code, which keeps it inside the run folder
    whatever links an agent left there, and words a file system failure for the user.
    """
    writer = FileWriteTool(work_dir=work_dir, config=FileWriteConfig(max_bytes=OUTPUT_FILE_MAX))
    problems = []
    for key, path in built.output_files.items():
        output = built.tasks[key].output
        if output is None:
            continue  # the task did not finish
        parsed = output.json_dict
        content = json.dumps(parsed, ensure_ascii=False, indent=2) if parsed else output.raw
        try:
            writer.run(path=path, content=content)
        except ToolError as exc:
            problems.append(f"The output file of task {key!r} was not written: {exc}")
    return problems


def _final_text(output: Any) -> str:
    if not isinstance(output, CrewOutput):  # only Crew(stream=True) returns another type
        raise TypeError(f"Unexpected crew output {type(output).__name__}")
    return str(output.raw)


def _usage(llms: list[tuple[str, BaseLLM]], configs: Mapping[str, LLMConfig]) -> Usage:
    """Tokens from each of this run's LLM objects; cost where the model has prices."""
    prompt = completion = total = 0
    cost: float | None = None
    for key, llm in llms:
        summary = llm.get_token_usage_summary()
        prompt += summary.prompt_tokens
        completion += summary.completion_tokens
        total += summary.total_tokens
        config = configs[key]
        if config.input_price_per_mtok is not None or config.output_price_per_mtok is not None:
            cost = (cost or 0.0) + (
                summary.prompt_tokens * (config.input_price_per_mtok or 0.0)
                + summary.completion_tokens * (config.output_price_per_mtok or 0.0)
            ) / 1_000_000
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, cost=cost)


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
