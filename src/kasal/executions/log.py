"""Appending to an execution's event log and announcing it: the one way events are written.

Append inside the caller's transaction; announce only after it commits, so a subscriber
never hears of an event it could not then read from the log.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.events import EventType
from kasal.executions.models import Execution, Status
from kasal.executions.repository import EventRepository
from kasal.executions.schemas import EventRead
from kasal.realtime.bus import EventBus, execution_channel, group_channel
from kasal.realtime.postgres import Fetch
from kasal.webhooks import outbox as webhooks

EVENT_PAGE = 1000


@dataclass
class Announcements:
    """What one transaction wrote, to publish once it has committed."""

    events: list[tuple[uuid.UUID, dict[str, Any]]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, bus: EventBus) -> None:
        for group_id, event in self.events:
            bus.publish(execution_channel(event["execution_id"]), event_message(group_id, event))
        for status in self.statuses:
            bus.publish(group_channel(status["group_id"]), {"kind": "status", **status})


def event_message(group_id: uuid.UUID, event: dict[str, Any]) -> dict[str, Any]:
    # Serialised once here, not once per subscriber: fan-out is the hot path.
    frame = json.dumps({"type": "event", "event": event})
    return {"kind": "event", "group_id": str(group_id), "event": event, "frame": frame}


def reader(sessions: async_sessionmaker[AsyncSession]) -> Fetch:
    """How a process that did not write an execution's events reads them for its bus."""

    async def fetch(channel: str, after: int | None) -> list[dict[str, Any]]:
        execution_id = uuid.UUID(channel.removeprefix(execution_channel("")))
        async with sessions() as session:
            execution = await session.get(Execution, execution_id)
            if execution is None:
                return []
            repository = EventRepository(session)
            if after is None:
                rows = await repository.latest(execution_id)
            else:
                rows = await repository.after(execution_id, after, EVENT_PAGE)
        events = [EventRead.model_validate(row).model_dump(mode="json") for row in rows]
        return [event_message(execution.group_id, event) for event in events]

    return fetch


async def append(
    session: AsyncSession,
    execution: Execution,
    events: list[dict[str, Any]],
    announcements: Announcements,
) -> None:
    rows = await EventRepository(session).append(execution.id, events)
    written = [EventRead.model_validate(row).model_dump(mode="json") for row in rows]
    announcements.events.extend((execution.group_id, event) for event in written)
    await webhooks.enqueue(session, execution, written)  # in this transaction: the outbox


def status_event(status: Status, **data: Any) -> dict[str, Any]:
    return {"type": EventType.for_status(status), "data": data}


def announce_status(execution: Execution, announcements: Announcements) -> None:
    announcements.statuses.append(
        {
            "execution_id": str(execution.id),
            "crew_id": str(execution.crew_id) if execution.crew_id else None,
            "group_id": str(execution.group_id),
            "status": execution.status.value,
        }
    )
