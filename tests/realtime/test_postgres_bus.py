"""The LISTEN/NOTIFY bus between processes (two buses here, as two processes would have):
a wake-up per event, the events themselves read from the log, nothing lost when the
listening connection drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kasal.core.db import libpq_url
from kasal.realtime.bus import Message
from kasal.realtime.postgres import CHANNEL, PostgresBus
from tests.support.database import throwaway_database

EXECUTION = "execution:5b0c2a4e-0000-4000-8000-000000000001"


def _event(seq: int) -> Message:
    event = {"execution_id": EXECUTION.split(":")[1], "seq": seq}
    return {"kind": "event", "group_id": "g", "event": event, "frame": f"frame {seq}"}


class Log:
    """Stands for the event log the buses read: what a writer appended, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reads: list[int | None] = []

    def append(self, seq: int) -> Message:
        self.messages.append(_event(seq))
        return self.messages[-1]

    async def fetch(self, channel: str, after: int | None) -> list[Message]:
        assert channel == EXECUTION
        self.reads.append(after)
        if after is None:
            return self.messages[-1:]
        return [m for m in self.messages if m["event"]["seq"] > after]


@pytest.fixture
async def buses(tmp_path: Path) -> AsyncIterator[tuple[Log, PostgresBus, PostgresBus, str]]:
    log = Log()
    with throwaway_database("postgresql", tmp_path) as url:
        writer, reader = PostgresBus(url, log.fetch, listen=False), PostgresBus(url, log.fetch)
        await writer.start()
        await reader.start()
        try:
            await _until_listening(url, 1)
            yield log, writer, reader, url
        finally:
            await reader.close()
            await writer.close()


def _listeners(url: str) -> list[int]:
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = %s",
            (f"LISTEN {CHANNEL}",),
        ).fetchall()
    return [int(row[0]) for row in rows]


async def _until_listening(url: str, count: int) -> None:
    async with asyncio.timeout(10):
        while len(await asyncio.to_thread(_listeners, url)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _get(subscription: Any) -> Message:
    async with asyncio.timeout(10):
        message: Message = await subscription.get()
        return message


async def test_events_reach_the_other_process_read_from_the_log_once(
    buses: tuple[Log, PostgresBus, PostgresBus, str],
) -> None:
    log, writer, reader, _ = buses
    here, there = writer.subscribe(EXECUTION), reader.subscribe(EXECUTION)
    for seq in (1, 2, 3):
        writer.publish(EXECUTION, log.append(seq))
    assert [(await _get(here))["event"]["seq"] for _ in range(3)] == [1, 2, 3]
    received: list[Message] = []
    while len(received) < 3:
        received.append(await _get(there))
    assert received == log.messages  # whole messages, frames included, each once
    assert here.queue.empty()  # its own notifications are not delivered twice


async def test_a_status_message_is_sent_whole(
    buses: tuple[Log, PostgresBus, PostgresBus, str],
) -> None:
    _, writer, reader, _ = buses
    there = reader.subscribe("group:g")
    status = {"kind": "status", "execution_id": "e", "group_id": "g", "status": "running"}
    writer.publish("group:g", status)
    assert await _get(there) == status


async def test_what_was_said_while_the_listener_was_cut_off_is_read_from_the_log(
    buses: tuple[Log, PostgresBus, PostgresBus, str],
) -> None:
    log, writer, reader, url = buses
    there = reader.subscribe(EXECUTION)
    writer.publish(EXECUTION, log.append(1))
    assert (await _get(there))["event"]["seq"] == 1
    with psycopg.connect(libpq_url(url), autocommit=True) as admin:
        for pid in _listeners(url):
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    writer.publish(EXECUTION, log.append(2))  # heard, or not: either way it arrives
    log.append(3)  # written, never announced: only a read of the log finds it
    await _until_listening(url, 1)
    received = [(await _get(there))["event"]["seq"]]
    while received[-1] < 3:
        received.append((await _get(there))["event"]["seq"])
    assert received in ([2, 3], [3])
    assert 1 in log.reads  # the resync read after the last seq it had delivered
