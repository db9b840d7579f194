"""Warm worker processes for the API process: start, submit, cancel, heartbeats, replacement.

Design, and why:
- Each worker is `python -m kasal.runtime.worker`, started with
  `asyncio.create_subprocess_exec` (fork + immediate exec, so nothing of this process's
  threads and event loop is copied into a child that runs Python) and one end of a
  `socketpair` passed as an extra fd. That socket carries length-prefixed JSON frames both ways
  (`protocol.py`); the child's stdout/stderr stay free for crewai's chatter.
- Each worker leads its own process group (`start_new_session`): Ctrl-C on the terminal reaches
  only the API process, which stops the pool in order, and killing the group also kills any
  subprocess a tool started. If the API process dies without stopping the pool, the workers
  read end-of-file on the socket and kill their own group: no orphans either way.
- One watcher task per worker reads its frames in order and awaits the owner's callbacks one
  at a time: the events of an execution arrive in the order emitted, `on_finished` after
  the last of them. A slow owner slows the read, the socket fills, and the worker's `emit`
  blocks: back-pressure instead of an unbounded queue. Only time spent waiting for the next
  frame counts towards the heartbeat timeout, so a slow owner never gets a worker reaped.
- A worker leaves the pool in one place, `_reap`, whatever the cause (exit, kill -9, silence,
  a cancel that did not take, stop): that is what reports each of its runs lost exactly once,
  after every event that had reached this process was delivered.
- This module knows nothing of the database: the owner decides what a lost run becomes.

POSIX only (process groups).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from kasal.engine.spec import EngineEvent, RunResult
from kasal.runtime.protocol import (
    HEADER,
    Cancel,
    Event,
    Finished,
    Ready,
    Report,
    Request,
    Run,
    Shutdown,
    frame,
    parse_report,
)

logger = logging.getLogger(__name__)

DEFAULT_RUNNER = "kasal.engine.flow:run"  # a crew or a flow, whichever the request is


class PoolOwner(Protocol):
    """Who receives what the workers report (the executions domain).

    Callbacks for one worker are awaited one at a time, in the order reported; a slow one
    holds that worker's runs back. For each submitted run exactly one of `on_finished` and
    `on_lost` is called, after all the run's delivered events. A callback may `submit` or
    `cancel`, but must not await `stop()`, which waits for the callbacks to end.
    """

    async def on_event(self, execution_id: str, event: EngineEvent) -> None: ...

    async def on_finished(self, execution_id: str, result: RunResult) -> None: ...

    async def on_lost(self, execution_id: str, reason: str) -> None: ...


class PoolError(Exception):
    """The pool cannot do what was asked."""


class NoFreeSlot(PoolError):
    """Every worker already runs `concurrency` executions: wait for one to finish."""


class WorkerStartError(PoolError):
    """A worker died or stayed silent before it was warm."""


@dataclass(eq=False)
class _Worker:
    process: asyncio.subprocess.Process
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    runs: set[str] = field(default_factory=set)
    warm: bool = False
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # warm, or gone
    end_reason: str | None = None  # why the worker is (being) ended

    @property
    def serving(self) -> bool:
        return self.warm and self.end_reason is None


class WorkerPool:
    """`size` warm workers, each running up to `concurrency` executions at once.

    `heartbeat_timeout`: silence after which a worker is killed and replaced.
    `cancel_grace`: how long a cancelled run (or a stopping worker) may take before its worker
    is killed. `start_timeout`: how long a worker may take to import `warmup` and say ready.
    `on_warm`: called each time a worker has become warm and takes work.
    """

    def __init__(
        self,
        size: int,
        concurrency: int,
        storage_dir: Path,
        *,
        owner: PoolOwner,
        runner: str = DEFAULT_RUNNER,
        warmup: str | None = "crewai",
        heartbeat_timeout: float = 30.0,
        cancel_grace: float = 10.0,
        start_timeout: float = 60.0,
        on_warm: Callable[[], None] | None = None,
    ) -> None:
        if size < 1 or concurrency < 1:
            raise ValueError("a worker pool needs at least one worker and one slot per worker")
        self.owner = owner
        self._size = size
        self._concurrency = concurrency
        self._storage_dir = storage_dir
        self._runner = runner
        self._warmup = warmup or ""
        self._heartbeat_timeout = heartbeat_timeout
        self._cancel_grace = cancel_grace
        self._start_timeout = start_timeout
        self._on_warm = on_warm  # each time a worker (a first one, a replacement) is warm
        self._workers: list[_Worker] = []
        self._where: dict[str, _Worker] = {}  # execution id -> the worker running it
        self._watchers: set[asyncio.Task[None]] = set()
        self._chores: set[asyncio.Task[None]] = set()  # replacements, cancel deadlines
        self._started = False
        self._stopping = False

    async def start(self) -> None:
        """Start `size` workers and return once all are warm (or raise, leaving none behind)."""
        if self._started:
            raise PoolError("the worker pool was already started")
        self._started = True
        spawns = [self._spawn() for _ in range(self._size)]
        outcomes = await asyncio.gather(*spawns, return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            await self.stop()
            raise failures[0]

    async def stop(self) -> None:
        """Ask every worker to shut down, kill those still there after `cancel_grace`.

        Runs still going are reported lost ("worker pool stopped"): the owner decides whether
        they are interrupted or re-queued, as after a crash.
        """
        self._stopping = True
        for chore in self._chores:
            chore.cancel()
        await asyncio.gather(*self._chores, return_exceptions=True)
        for worker in list(self._workers):
            worker.end_reason = worker.end_reason or "worker pool stopped"
            await self._send(worker, Shutdown())
        if self._watchers:
            _, late = await asyncio.wait(self._watchers, timeout=self._cancel_grace)
            for worker in self._workers:
                _kill(worker)
            await asyncio.gather(*late)

    def free_slots(self) -> int:
        return sum(self._concurrency - len(w.runs) for w in self._workers if w.serving)

    def running(self) -> dict[str, int]:
        """Execution id -> pid of the worker running it: what a timeout or an operator needs."""
        return {execution_id: w.process.pid for execution_id, w in self._where.items()}

    def pids(self) -> list[int]:
        """Pids of the workers currently taking work."""
        return [w.process.pid for w in self._workers if w.serving]

    async def submit(self, request: Request, runner: str | None = None) -> None:
        """Start a run on the least busy worker. Raises `NoFreeSlot` when all are full."""
        if not self._started or self._stopping:
            raise PoolError("the worker pool is not running")
        execution_id = request.execution_id
        if execution_id in self._where:
            raise PoolError(f"execution {execution_id} is already running")
        serving = [w for w in self._workers if w.serving]
        worker = min(serving, key=lambda w: len(w.runs), default=None)
        if worker is None or len(worker.runs) >= self._concurrency:
            raise NoFreeSlot(
                f"no free slot: {len(serving)} of {self._size} workers are warm, "
                f"each running up to {self._concurrency} executions"
            )
        worker.runs.add(execution_id)
        self._where[execution_id] = worker
        await self._send(worker, Run(request=request, runner=runner or self._runner))

    async def cancel(self, execution_id: str) -> bool:
        """Ask the worker to cancel the run; kill the worker if it has not ended in the grace.

        Returns at once. The outcome arrives through the owner: `on_finished` (cancelled, or
        whatever the run reached first), or `on_lost` if the worker had to be killed.
        False if the run is not (or no longer) running here.
        """
        worker = self._where.get(execution_id)
        if worker is None or self._stopping:
            return False
        await self._send(worker, Cancel(execution_id=execution_id))
        self._chore(self._enforce_cancel(worker, execution_id))
        return True

    async def _spawn(self) -> None:
        parent_end, child_end = socket.socketpair()
        with child_end:  # the worker holds its own copy once started
            reader, writer = await asyncio.open_unix_connection(sock=parent_end)
            try:
                process = await asyncio.create_subprocess_exec(
                    *self._command(child_end.fileno()),
                    pass_fds=(child_end.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL,
                    start_new_session=True,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
                )
            except BaseException:
                writer.close()
                raise
        # No await from here until the worker is tracked: stop() must always see it.
        worker = _Worker(process, reader, writer)
        self._workers.append(worker)
        watcher = asyncio.create_task(self._watch(worker), name=f"kasal-worker-{process.pid}")
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        await worker.settled.wait()
        if not worker.warm:
            raise WorkerStartError(f"worker {process.pid} did not start: {worker.end_reason}")
        logger.info("worker %d is warm", process.pid)
        if self._on_warm is not None:
            self._on_warm()

    def _command(self, fd: int) -> list[str]:
        """The child imports what this process can import (runner and warm-up are import paths)."""
        interval = min(1.0, self._heartbeat_timeout / 4)
        return [
            sys.executable, "-m", "kasal.runtime.worker", "--fd", str(fd),
            "--storage-dir", str(self._storage_dir), "--warmup", self._warmup,
            "--heartbeat-interval", str(interval),
        ]  # fmt: skip

    async def _watch(self, worker: _Worker) -> None:
        reason = await self._pump(worker)
        await self._reap(worker, reason)

    async def _pump(self, worker: _Worker) -> str | None:
        """Deliver the worker's reports until it goes away; why it went, if not plain exit."""
        timeout = self._start_timeout
        while True:
            try:
                async with asyncio.timeout(timeout):
                    report = await _read_report(worker.reader)
            except TimeoutError:
                if worker.warm:
                    return f"worker stopped responding (no heartbeat for {timeout:g} s)"
                return f"worker was not warm within {timeout:g} s"
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            except ValidationError as exc:
                return f"worker sent an invalid message: {exc}"
            if isinstance(report, Ready):
                worker.warm = True
                worker.settled.set()
                timeout = self._heartbeat_timeout
            elif isinstance(report, Event | Finished):
                await self._deliver(worker, report)

    async def _deliver(self, worker: _Worker, report: Event | Finished) -> None:
        execution_id = report.execution_id
        if execution_id not in worker.runs:
            logger.debug("dropped a late %s for execution %s", report.kind, execution_id)
            return
        if isinstance(report, Event):
            await self._notify(self.owner.on_event(execution_id, report.event))
            return
        worker.runs.discard(execution_id)  # the slot is free when the owner hears of it
        del self._where[execution_id]
        await self._notify(self.owner.on_finished(execution_id, report.result))

    async def _reap(self, worker: _Worker, reason: str | None) -> None:
        """The one way out of the pool: kill, wait, report its runs lost once, replace it."""
        self._workers.remove(worker)
        if reason is None:
            await self._let_exit(worker)  # it closed its socket: let it finish, say how it ended
        _kill(worker)
        returncode = await worker.process.wait()
        worker.writer.close()
        reason = worker.end_reason or reason or _describe_exit(returncode)
        worker.end_reason = reason
        worker.settled.set()
        level = logging.INFO if self._stopping else logging.WARNING
        logger.log(level, "worker %d left the pool: %s", worker.process.pid, reason)
        lost = sorted(worker.runs)
        worker.runs.clear()
        for execution_id in lost:
            del self._where[execution_id]
        if worker.warm and not self._stopping:
            self._chore(self._replace())
        for execution_id in lost:
            await self._notify(self.owner.on_lost(execution_id, reason))

    async def _let_exit(self, worker: _Worker) -> None:
        try:
            async with asyncio.timeout(self._cancel_grace):
                await worker.process.wait()
        except TimeoutError:
            logger.warning("worker %d closed its socket but did not exit", worker.process.pid)

    async def _replace(self) -> None:
        while not self._stopping:
            try:
                await self._spawn()
            except (WorkerStartError, OSError):
                logger.exception("could not start a replacement worker; retrying")
                await asyncio.sleep(1.0)
            else:
                return

    async def _enforce_cancel(self, worker: _Worker, execution_id: str) -> None:
        await asyncio.sleep(self._cancel_grace)
        if execution_id in worker.runs and worker.end_reason is None:
            worker.end_reason = (
                f"worker killed: execution {execution_id} did not stop within "
                f"{self._cancel_grace:g} s of being cancelled"
            )
            _kill(worker)

    async def _send(self, worker: _Worker, command: Run | Cancel | Shutdown) -> None:
        if worker.writer.is_closing():
            return  # the worker is being reaped; its runs will be reported lost
        worker.writer.write(frame(command))
        try:
            await worker.writer.drain()
        except ConnectionError:
            logger.warning("worker %d is gone; its watcher reaps it", worker.process.pid)

    async def _notify(self, callback: Coroutine[Any, Any, None]) -> None:
        """An owner bug must not stop the pool from reading, reaping and replacing workers."""
        try:
            await callback
        except Exception:
            logger.exception("the worker pool's owner failed to handle a report")

    def _chore(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)


async def _read_report(reader: asyncio.StreamReader) -> Report:
    (size,) = HEADER.unpack(await reader.readexactly(HEADER.size))
    return parse_report(await reader.readexactly(size))


def _kill(worker: _Worker) -> None:
    """SIGKILL the worker's whole group, so that tool subprocesses go with it.

    Also after the worker itself has exited: its group lives on while any member does, and
    Linux does not hand out a pid that is still some group's id.
    """
    try:
        os.killpg(worker.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        logger.debug("process group %d is already gone", worker.process.pid)


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"worker process exited with signal {-returncode}"
    return f"worker process exited with code {returncode}"
