"""`Kasal`: the blocking client, for scripts and notebooks.

It runs `AsyncKasal` on a private event loop in a daemon thread, so each method is written
once (in `aio.py`) and works the same whether or not the caller has an event loop of its
own (a notebook does). Ctrl-C while waiting cancels the request in flight.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import signal
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import suppress
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

import httpx

from kasal.client.aio import (
    DEFAULT_TIMEOUT_S,
    AsyncCrews,
    AsyncExecutions,
    AsyncKasal,
    AsyncModels,
    Id,
)
from kasal.client.models import Event, User

CANCEL_WAIT_S = 5.0
T = TypeVar("T")
A = TypeVar("A")
P = ParamSpec("P")


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done, then raise it.

    Starting a run is one request whose answer names the run; a Ctrl-C in the middle
    would lose that name, and with it the way to cancel the run it started. With the
    interrupt deferred, the caller learns the id first and can cancel on KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


class LoopThread:
    """An event loop of our own, in a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name="kasal-client", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        try:
            return future.result()
        except BaseException:
            # KeyboardInterrupt: stop the request, and let it finish stopping (closing its
            # connection) before the caller goes on, e.g. to cancel the run it watched.
            future.cancel()
            concurrent.futures.wait([future], timeout=CANCEL_WAIT_S)
            raise

    def iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        """Blocking iteration over an async iterator that lives on this loop."""
        try:
            while True:
                try:
                    yield self.run(_next(iterator))
                except StopAsyncIteration:
                    return
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                with suppress(Exception):
                    self.run(close())

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()


async def _next(iterator: AsyncIterator[T]) -> T:
    return await anext(iterator)


class _Blocking(Generic[A]):
    """A sync face of one async resource: each method runs the async one on the loop."""

    def __init__(self, target: A, runner: LoopThread) -> None:
        self._target = target
        self._runner = runner


def _blocking(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[_Blocking[A], P], T]:
    @functools.wraps(method)
    def call(self: _Blocking[A], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._runner.run(method(self._target, *args, **kwargs))

    return call


class Crews(_Blocking[AsyncCrews]):
    __doc__ = AsyncCrews.__doc__
    list = _blocking(AsyncCrews.list)
    get = _blocking(AsyncCrews.get)
    find = _blocking(AsyncCrews.find)
    create = _blocking(AsyncCrews.create)
    update = _blocking(AsyncCrews.update)
    delete = _blocking(AsyncCrews.delete)
    import_yaml = _blocking(AsyncCrews.import_yaml)
    import_file = _blocking(AsyncCrews.import_file)
    export = _blocking(AsyncCrews.export)


class Models(_Blocking[AsyncModels]):
    __doc__ = AsyncModels.__doc__
    list = _blocking(AsyncModels.list)


class Executions(_Blocking[AsyncExecutions]):
    __doc__ = AsyncExecutions.__doc__
    start = _blocking(AsyncExecutions.start)
    get = _blocking(AsyncExecutions.get)
    list = _blocking(AsyncExecutions.list)
    cancel = _blocking(AsyncExecutions.cancel)
    events = _blocking(AsyncExecutions.events)
    wait = _blocking(AsyncExecutions.wait)

    def stream(
        self, execution_id: Id, *, after: int = 0, reconnect_timeout: float = 60.0
    ) -> Iterator[Event]:
        """Events after `after` until the execution's final event; see AsyncExecutions.stream."""
        events = self._target.stream(execution_id, after=after, reconnect_timeout=reconnect_timeout)
        return self._runner.iterate(events)


class Kasal:
    """A blocking client of one Kasal server. See `AsyncKasal` for the arguments."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        group: Id | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.aio = AsyncKasal(base_url, token, group=group, timeout=timeout, transport=transport)
        self._runner = LoopThread()
        self.crews = Crews(self.aio.crews, self._runner)
        self.executions = Executions(self.aio.executions, self._runner)
        self.models = Models(self.aio.models, self._runner)

    def __repr__(self) -> str:
        return f"Kasal({self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.aio.base_url

    def me(self) -> User:
        """Who the token belongs to (also the cheapest check that URL and token work)."""
        return self._run(self.aio.me())

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine (of `self.aio`) on this client's loop."""
        return self._runner.run(coroutine)

    def close(self) -> None:
        with suppress(RuntimeError):
            self._runner.run(self.aio.aclose())
        self._runner.close()

    def __enter__(self) -> Kasal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
