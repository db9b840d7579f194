"""The outbox: a run's status events become deliveries in the transaction that writes them.

Written with the event, not after it: a process that dies after the commit still leaves
every delivery behind, and one that dies before leaves neither.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.webhooks.models import WebhookDelivery
from kasal.webhooks.repository import WebhookRepository
from kasal.webhooks.schemas import WEBHOOK_EVENTS


class Run(Protocol):
    """What a delivery tells of the run (an execution row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def group_id(self) -> uuid.UUID: ...
    @property
    def crew_id(self) -> uuid.UUID | None: ...
    @property
    def crew_name(self) -> str: ...


async def enqueue(session: AsyncSession, run: Run, events: list[dict[str, Any]]) -> None:
    """A delivery for every event (as the log serves it) an enabled webhook listens to."""
    wanted = [event for event in events if event["type"] in WEBHOOK_EVENTS]
    if not wanted:
        return
    hooks = await WebhookRepository(session, run.group_id).enabled()
    for event in wanted:
        for hook in hooks:
            if event["type"] in hook.events:
                session.add(_delivery(hook.id, run, event))
    await session.flush()


def _delivery(webhook_id: uuid.UUID, run: Run, event: dict[str, Any]) -> WebhookDelivery:
    delivery_id = uuid.uuid4()
    payload = {
        "id": str(delivery_id),
        "type": event["type"],
        "created_at": event["ts"],
        "group_id": str(run.group_id),
        "execution": {
            "id": str(run.id),
            "crew_id": str(run.crew_id) if run.crew_id else None,
            "crew_name": run.crew_name,
        },
        "data": event["data"],
    }
    return WebhookDelivery(
        id=delivery_id,
        webhook_id=webhook_id,
        event=event["type"],
        execution_id=run.id,
        payload=payload,
    )
