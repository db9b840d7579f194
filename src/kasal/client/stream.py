"""Following an execution's events to its end, across dropped connections.

Each (re)connection first asks for the execution: a finished run's log is complete, so the
rest is read over plain HTTP; a live one is followed over the WebSocket, subscribing with
the last seq seen (the server replays what was missed, then sends live events). Where the
WebSocket handshake is refused (a proxy that does not pass WebSockets), the stream falls
back to long-polling `GET /executions/{id}/events?after=&wait=`. Seq numbers are
contiguous, so a duplicate is dropped and a gap is filled from the log.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from kasal.client.errors import (
    AuthError,
    KasalAPIError,
    KasalConnectionError,
    NotFoundError,
    ServerError,
    api_error,
)
from kasal.client.models import FINISHED_STATUSES, Event, EventPage, Execution

LONG_POLL_S = 25.0
OPEN_TIMEOUT_S = 10.0
FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 5.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_GROUP_NOT_FOUND = 4404


class ExecutionReads(Protocol):
    """The two reads of an execution the stream needs (the client's `executions`)."""

    async def get(self, execution_id: str) -> Execution: ...

    async def events(self, execution_id: str, *, after: int = 0, wait: float = 0) -> EventPage: ...


class StreamClient(Protocol):
    """What the stream needs of the client that opens it.

    A protocol rather than `AsyncKasal` itself: the client imports this module to offer
    `stream()`, so this module must not import the client back.
    """

    @property
    def base_url(self) -> str: ...

    @property
    def token(self) -> str: ...

    @property
    def group(self) -> str | None: ...

    @property
    def headers(self) -> dict[str, str]: ...

    @property
    def executions(self) -> ExecutionReads: ...

    def unreachable(self, exc: BaseException) -> KasalConnectionError: ...


class _WebSocketRefused(Exception):
    """The server (or a proxy) answered the handshake with something else than a WebSocket."""


class _Dropped(Exception):
    """The connection ended before the execution did."""


class EventStream:
    def __init__(
        self, client: StreamClient, execution_id: str, after: int, reconnect_timeout: float
    ) -> None:
        self.client = client
        self.execution_id = execution_id
        self.last = after
        self.reconnect_timeout = reconnect_timeout
        self.websocket_ok = True
        self.done = False

    async def events(self) -> AsyncIterator[Event]:
        failing_since: float | None = None
        backoff = FIRST_BACKOFF_S
        while not self.done:
            progress = self.last
            try:
                async with aclosing(self._connection()) as events:
                    async for event in events:
                        yield event
                failing_since, backoff = None, FIRST_BACKOFF_S
                continue
            except (_Dropped, KasalConnectionError, ServerError) as exc:
                if self.last > progress:  # it was working: start counting afresh
                    failing_since, backoff = None, FIRST_BACKOFF_S
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > self.reconnect_timeout:
                    if isinstance(exc, KasalAPIError | KasalConnectionError):
                        raise
                    raise self.client.unreachable(exc.__cause__ or exc) from exc
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _connection(self) -> AsyncGenerator[Event, None]:
        """One connection's worth of events; returns when finished, raises _Dropped if cut."""
        execution = await self.client.executions.get(self.execution_id)
        if execution.finished:  # the log is complete: read what is left of it
            source = self._read_log(wait=0, finished=True)
        elif self.websocket_ok:
            source = self._websocket()
        else:
            source = self._read_log(wait=LONG_POLL_S)
        try:
            async with aclosing(source) as events:
                async for event in events:
                    yield event
        except _WebSocketRefused:
            self.websocket_ok = False
            async with aclosing(self._read_log(wait=LONG_POLL_S)) as events:
                async for event in events:
                    yield event

    def _accept(self, event: Event) -> bool:
        """Record `event`; False for one already seen."""
        if event.seq <= self.last:
            return False
        self.last = event.seq
        if event.is_final:
            self.done = True
        return True

    async def _read_log(self, wait: float, finished: bool = False) -> AsyncGenerator[Event, None]:
        """Pages of the log until the final event (long-poll when `wait` > 0).

        A page reports the status as it was after reading its events, so a page can say
        "finished" without the final event: only an empty page read after one that already
        said "finished" (or after `finished` was known) proves the log has no more.
        """
        while not self.done:
            page = await self.client.executions.events(
                self.execution_id, after=self.last, wait=wait
            )
            for event in page.items:
                if self._accept(event):
                    yield event
                if self.done:
                    return
            if page.status in FINISHED_STATUSES:
                if finished and not page.items:
                    self.done = True
                    return
                finished, wait = True, 0
            elif not page.items and wait == 0:
                return

    async def _fill_gap(self, upto: int) -> AsyncGenerator[Event, None]:
        """The events between `last` and `upto` (exclusive), from the log."""
        while self.last < upto - 1:
            page = await self.client.executions.events(self.execution_id, after=self.last)
            if not page.items:
                return
            for event in page.items:
                if event.seq >= upto:
                    return
                if self._accept(event):
                    yield event

    async def _websocket(self) -> AsyncGenerator[Event, None]:
        socket = await self._open()
        subscribe = {"type": "subscribe", "execution_id": self.execution_id, "after": self.last}
        try:
            while not self.done:
                try:
                    if subscribe:
                        await socket.send(json.dumps(subscribe))
                        subscribe = {}
                    raw = await socket.recv()
                except ConnectionClosed as exc:
                    raise _closed(exc) from exc
                event = self._event_of(json.loads(raw))
                if event is None:
                    continue
                if event.seq > self.last + 1:
                    async for missed in self._fill_gap(event.seq):
                        yield missed
                if self._accept(event):
                    yield event
        finally:
            await socket.close()

    async def _open(self) -> ClientConnection:
        url = self.client.base_url.replace("http", "ws", 1) + "/api/v1/ws"
        if self.client.group:
            url += f"?group={self.client.group}"
        try:
            return await connect(
                url,
                additional_headers={"Authorization": f"Bearer {self.client.token}"},
                open_timeout=OPEN_TIMEOUT_S,
                max_size=None,
                user_agent_header=self.client.headers["User-Agent"],
            )
        except (InvalidHandshake, InvalidURI) as exc:
            raise _WebSocketRefused(str(exc)) from exc
        except (OSError, TimeoutError) as exc:
            raise _Dropped(str(exc)) from exc

    def _event_of(self, message: dict[str, Any]) -> Event | None:
        kind = message.get("type")
        if kind == "event":
            return Event.model_validate(message["event"])
        if kind == "error":
            code = str(message.get("code", "error"))
            text = str(message.get("message", ""))
            raise api_error(404 if code.endswith("not_found") else 400, code, text)
        return None  # pings, and the group's status feed


def _closed(exc: ConnectionClosed) -> Exception:
    received = exc.rcvd
    if received is not None and received.code == CLOSE_UNAUTHORIZED:
        return AuthError(401, "not_authenticated", received.reason or "The token was refused")
    if received is not None and received.code == CLOSE_GROUP_NOT_FOUND:
        return NotFoundError(404, "group_not_found", received.reason or "No such group")
    return _Dropped(str(exc))
