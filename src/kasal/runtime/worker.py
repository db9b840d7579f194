"""A warm worker process: `python -m kasal.runtime.worker --fd N ...`, started by `WorkerPool`.

It imports the warm-up module (crewai) once, so that no run pays the ~3 s import, then runs
executions as asyncio tasks on one event loop and streams their events back to the pool.

The pool talks to it over the socket inherited as fd N, never over stdout/stderr: crewai,
litellm and rich print there, and those streams stay the API process's own.

Three kinds of code run here, on purpose:
- the event loop runs the executions and sends a heartbeat every interval, so a heartbeat
  proves that the loop is still serving (a run that blocks the loop stops them);
- a reader thread receives commands, so a cancel or a shutdown is received even while the
  loop is busy, and end-of-file (the API process died, however) is noticed at once: the
  worker then kills its own process group, so nothing it started outlives the pool;
- crewai's own threads may call `emit`, so sending is guarded by a lock. Sending blocks when
  the pool does not keep up: that is the back-pressure, a run cannot outrun its consumer.

The pool is the only one counting slots; the worker runs whatever it is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import cast

from kasal.engine.env import quiet_crewai
from kasal.engine.spec import EngineEvent, RunResult
from kasal.runtime.protocol import (
    HEADER,
    Cancel,
    Command,
    Event,
    Finished,
    Heartbeat,
    Ready,
    Request,
    Run,
    Shutdown,
    frame,
    parse_command,
)

logger = logging.getLogger(__name__)

Emit = Callable[[EngineEvent], None]
Runner = Callable[[Request, Emit], Awaitable[RunResult]]


class Pipe:
    """The worker's end of the socket. `send` is safe from any thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._incoming = sock.makefile("rb")
        self._lock = threading.Lock()

    def send(self, message: Ready | Heartbeat | Event | Finished) -> None:
        data = frame(message)
        with self._lock:
            self._sock.sendall(data)

    def receive(self) -> Command | None:
        """The next command, or None once the pool's end is closed."""
        header = self._incoming.read(HEADER.size)
        if len(header) < HEADER.size:
            return None
        (size,) = HEADER.unpack(header)
        body = self._incoming.read(size)
        if len(body) < size:
            return None
        return parse_command(body)


@functools.cache
def load_runner(path: str) -> Runner:
    """Runners are import paths so tests (and future engines) can plug in their own."""
    module_name, _, attribute = path.partition(":")
    return cast(Runner, getattr(importlib.import_module(module_name), attribute))


class Worker:
    def __init__(self, pipe: Pipe, heartbeat_interval: float) -> None:
        self._pipe = pipe
        self._heartbeat_interval = heartbeat_interval
        self._runs: dict[str, asyncio.Task[None]] = {}
        self._stopping = False
        self._shutdown = asyncio.Event()

    async def serve(self) -> None:
        """Serve until told to shut down; runs still going then are cancelled and awaited."""
        loop = asyncio.get_running_loop()
        threading.Thread(
            target=self._read_commands, args=(loop,), name="kasal-commands", daemon=True
        ).start()
        self._pipe.send(Ready())
        heartbeat = asyncio.create_task(self._heartbeat())
        await self._shutdown.wait()
        self._stopping = True
        heartbeat.cancel()
        for task in self._runs.values():
            task.cancel()
        await asyncio.gather(heartbeat, *self._runs.values(), return_exceptions=True)

    def _read_commands(self, loop: asyncio.AbstractEventLoop) -> None:
        while (command := self._pipe.receive()) is not None:
            loop.call_soon_threadsafe(self._handle, command)
        _parent_gone()

    def _handle(self, command: Command) -> None:
        if isinstance(command, Run):
            execution_id = command.request.execution_id
            task = asyncio.create_task(self._run(command.request, command.runner))
            self._runs[execution_id] = task
        elif isinstance(command, Cancel):
            if running := self._runs.get(command.execution_id):
                running.cancel()
        elif isinstance(command, Shutdown):
            self._shutdown.set()

    async def _run(self, request: Request, runner_path: str) -> None:
        execution_id = request.execution_id

        def emit(event: EngineEvent) -> None:
            self._pipe.send(Event(execution_id=execution_id, event=event))

        try:
            runner = load_runner(runner_path)
            result = RunResult.model_validate(await runner(request, emit))
        except asyncio.CancelledError:
            if self._stopping:
                return  # cut short by shutdown: the pool reports it lost, not cancelled
            result = RunResult(status="cancelled")
        except Exception as exc:
            logger.exception("execution %s failed", execution_id)
            result = RunResult(status="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._runs.pop(execution_id, None)
        self._pipe.send(Finished(execution_id=execution_id, result=result))

    async def _heartbeat(self) -> None:
        while True:
            self._pipe.send(Heartbeat())
            await asyncio.sleep(self._heartbeat_interval)


def _parent_gone() -> None:
    """The pool's end closed without a shutdown: its process died. Take our children along."""
    logger.warning("the worker pool is gone; worker %d exits", os.getpid())
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(1)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kasal.runtime.worker")
    parser.add_argument("--fd", type=int, required=True, help="socket to the pool")
    parser.add_argument("--storage-dir", type=Path, required=True)
    parser.add_argument("--warmup", default="", help="module to import before serving")
    parser.add_argument("--heartbeat-interval", type=float, default=1.0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s worker[{os.getpid()}] %(levelname)s %(message)s"
    )
    sock = socket.socket(fileno=args.fd)
    sock.set_inheritable(False)  # tool subprocesses must not hold the pool's socket open
    quiet_crewai(args.storage_dir)
    if args.warmup:
        importlib.import_module(args.warmup)
    asyncio.run(Worker(Pipe(sock), args.heartbeat_interval).serve())


if __name__ == "__main__":
    main()
