"""The event bus across processes: PostgreSQL LISTEN/NOTIFY (`KASAL_QUEUE=procrastinate`).

Each process fans its own messages out locally at once, as the in-process bus does, and
announces them on one PostgreSQL channel. What it announces for a logged event is only
`{channel, after, seq}`: the event log stays the source of truth, so the other processes
read the events from it (once per process, not per subscriber) and fan them out as if they
had been published there. Any other message (a status change) is small and sent whole.

Nothing is lost on the way: a process that could not send keeps what it had to announce and
sends it once the database is back; a process whose listening connection dropped reads,
for every execution it has subscribers for, what the log has beyond what it delivered
(its subscribers de-duplicate by seq, and fill any gap from the log themselves).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from kasal.core.db import libpq_url
from kasal.realtime.bus import EventBus, Message

logger = logging.getLogger(__name__)

CHANNEL = "kasal_events"
_BACKOFF_FIRST_S = 0.05
_BACKOFF_MAX_S = 2.0

# Messages of `channel` logged after `after` (None: only its latest), ready to fan out.
Fetch = Callable[[str, int | None], Awaitable[list[Message]]]


def _seq(message: Message) -> int | None:
    """A message that stands for a logged event carries its seq; it is sent as a wake-up."""
    if message.get("kind") != "event":
        return None
    seq = message["event"].get("seq")
    return int(seq) if seq is not None else None


class PostgresBus(EventBus):
    def __init__(
        self, db_url: str, fetch: Fetch, *, listen: bool = True, subscriber_queue: int = 1000
    ) -> None:
        super().__init__(subscriber_queue)
        self._conninfo = libpq_url(db_url)
        self._fetch = fetch
        self._listen = listen
        self._origin = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._outgoing_events: dict[str, tuple[int, int]] = {}  # channel -> (after, seq)
        self._outgoing_other: list[tuple[str, Message]] = []
        self._outgoing = asyncio.Event()  # something to send
        self._drained = asyncio.Event()  # nothing left to send
        self._drained.set()
        self._wanted: dict[str, int | None] = {}  # channel -> read after (None: latest)
        self._wanted_ready = asyncio.Event()
        self._delivered: dict[str, int] = {}  # channel -> last seq fanned out from the log
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._send_loop(), name="kasal-bus-send")]
        if self._listen:
            self._tasks += [
                asyncio.create_task(self._listen_loop(), name="kasal-bus-listen"),
                asyncio.create_task(self._fetch_loop(), name="kasal-bus-fetch"),
            ]

    async def close(self) -> None:
        """Send what is still to announce (briefly: the database may be gone), then stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._drained.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def publish(self, channel: str, message: Message) -> None:
        super().publish(channel, message)
        seq = _seq(message)
        if seq is None:
            self._outgoing_other.append((channel, message))
        else:
            after, _ = self._outgoing_events.get(channel, (seq - 1, seq))
            self._outgoing_events[channel] = (min(after, seq - 1), seq)
        self._drained.clear()
        self._outgoing.set()

    # Sending

    async def _send_loop(self) -> None:
        backoff = _BACKOFF_FIRST_S
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    backoff = _BACKOFF_FIRST_S
                    while True:
                        await self._outgoing.wait()
                        await self._send(connection)
            except (psycopg.Error, OSError) as exc:
                logger.warning("cannot announce events (%s); retrying", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, _BACKOFF_MAX_S)

    async def _send(self, connection: psycopg.AsyncConnection[Any]) -> None:
        """One round trip for all that piled up; it is forgotten only once it was sent."""
        self._outgoing.clear()
        events, other = dict(self._outgoing_events), list(self._outgoing_other)
        payloads = [
            json.dumps({"o": self._origin, "c": c, "a": after, "s": seq})
            for c, (after, seq) in events.items()
        ] + [json.dumps({"o": self._origin, "c": c, "m": m}) for c, m in other]
        if not payloads:
            return
        try:
            await connection.execute(
                "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) WITH ORDINALITY AS t(p, n) "
                "ORDER BY n",
                (CHANNEL, payloads),
            )
        except BaseException:
            self._outgoing.set()
            raise
        for channel, sent in events.items():
            if self._outgoing_events.get(channel) == sent:
                del self._outgoing_events[channel]
        del self._outgoing_other[: len(other)]
        if not self._outgoing_events and not self._outgoing_other:
            self._drained.set()

    # Receiving

    async def _listen_loop(self) -> None:
        backoff, connected_before = _BACKOFF_FIRST_S, False
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    if connected_before:
                        self._resync()
                    connected_before, backoff = True, _BACKOFF_FIRST_S
                    async for notice in connection.notifies():
                        self._receive(notice.payload)
            except (psycopg.Error, OSError) as exc:
                logger.warning("stopped hearing other processes' events (%s)", type(exc).__name__)
                connected_before = True  # whatever was said meanwhile was not heard
                await asyncio.sleep(backoff)
                backoff = min(2 * backoff, _BACKOFF_MAX_S)

    def _receive(self, payload: str) -> None:
        notice = json.loads(payload)
        if notice["o"] == self._origin:
            return  # fanned out here when it was published
        channel = notice["c"]
        if channel not in self._subscribers:
            self._delivered.pop(channel, None)
            return
        if "m" in notice:
            super().publish(channel, notice["m"])
            return
        after = max(int(notice["a"]), self._delivered.get(channel, -1))
        self._want(channel, after)

    def _resync(self) -> None:
        for channel in list(self._subscribers):
            self._want(channel, self._delivered.get(channel))

    def _want(self, channel: str, after: int | None) -> None:
        if channel in self._wanted:
            known = self._wanted[channel]
            after = None if known is None or after is None else min(known, after)
        self._wanted[channel] = after
        self._wanted_ready.set()

    async def _fetch_loop(self) -> None:
        backoff = _BACKOFF_FIRST_S
        while True:
            await self._wanted_ready.wait()
            self._wanted_ready.clear()
            wanted, self._wanted = self._wanted, {}
            for channel, after in wanted.items():
                if channel not in self._subscribers:
                    continue
                try:
                    messages = await self._fetch(channel, after)
                except Exception as exc:
                    logger.warning("cannot read events of %s (%s); retrying", channel, exc)
                    self._want(channel, after)
                    await asyncio.sleep(backoff)
                    backoff = min(2 * backoff, _BACKOFF_MAX_S)
                    continue
                backoff = _BACKOFF_FIRST_S
                for message in messages:
                    super().publish(channel, message)
                    self._delivered[channel] = _seq(message) or 0
