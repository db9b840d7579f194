"""The event bus: publish never blocks; a subscriber too slow to keep up is cut off.

A channel is a string: `execution:<id>` carries one execution's events, `group:<id>` the
status changes of a group's executions. Messages are plain JSON-ready dicts.

Publishing puts into each subscriber's bounded queue without waiting. A subscriber whose
queue is full is marked `overflowed` and receives nothing more: its owner closes it with a
clear reason (the client can reconnect and replay from the event log), and nobody else is
slowed down by it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

Message = dict[str, Any]


class Subscription:
    def __init__(self, bus: EventBus, channels: Iterable[str], maxsize: int) -> None:
        self._bus = bus
        self.channels: set[str] = set()
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize)
        self.overflowed = False
        self.add(*channels)

    def add(self, *channels: str) -> None:
        for channel in channels:
            self.channels.add(channel)
            self._bus._subscribers[channel].add(self)

    def remove(self, *channels: str) -> None:
        for channel in channels:
            self.channels.discard(channel)
            subscribers = self._bus._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(self)
                if not subscribers:
                    del self._bus._subscribers[channel]

    def close(self) -> None:
        self.remove(*list(self.channels))

    def _offer(self, message: Message) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.close()

    async def get(self) -> Message:
        return await self.queue.get()


class EventBus:
    """In-process bus: messages carry the events themselves. Across processes,
    `realtime.postgres.PostgresBus` carries `{channel, seq}` wake-ups and each process
    reads the events from the log; its subscribers see the same messages."""

    def __init__(self, subscriber_queue: int = 1000) -> None:
        self._subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)
        self._subscriber_queue = subscriber_queue

    async def start(self) -> None:
        """Nothing to connect to in one process."""

    async def close(self) -> None:
        """Nothing to let go of in one process."""

    def subscribe(self, *channels: str, maxsize: int | None = None) -> Subscription:
        return Subscription(self, channels, maxsize or self._subscriber_queue)

    def publish(self, channel: str, message: Message) -> None:
        for subscriber in list(self._subscribers.get(channel, ())):
            subscriber._offer(message)


def execution_channel(execution_id: object) -> str:
    return f"execution:{execution_id}"


def group_channel(group_id: object) -> str:
    return f"group:{group_id}"
