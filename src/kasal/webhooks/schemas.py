"""Request and response bodies of the webhooks endpoints. The secret goes out once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, SecretStr, StringConstraints

from kasal.events import EventType
from kasal.webhooks.models import DeliveryStatus

# A webhook hears of a run's life: the events of its statuses.
WEBHOOK_EVENTS = frozenset(e for e in EventType if e.value.startswith("execution."))


def _only_status_events(events: list[EventType]) -> list[EventType]:
    wrong = [e.value for e in events if e not in WEBHOOK_EVENTS]
    if wrong:
        raise ValueError(f"only execution.* events can be sent, not {', '.join(wrong)}")
    return list(dict.fromkeys(events))


Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
Events = Annotated[
    list[EventType],
    Field(min_length=1, max_length=50, description="execution.succeeded, .failed, ..."),
    AfterValidator(_only_status_events),
]
Secret = Annotated[
    SecretStr,
    Field(min_length=16, max_length=256, description="The signing secret. Write-only"),
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class WebhookCreate(BaseModel):
    url: Url = Field(description="http(s); a private address only where the operator allows")
    events: Events
    secret: Secret | None = Field(None, description="Write-only; none: one is generated")
    description: Description = ""


class WebhookUpdate(BaseModel):
    url: Url | None = None
    events: Events | None = None
    secret: Secret | None = None
    description: Description | None = None
    enabled: bool | None = Field(None, description="true again clears the disabled reason")


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why Kasal disabled it")
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str | None = Field(
        description="The secret Kasal generated, shown this once: store it now (none when "
        "the request gave one)"
    )


class DeliveryRead(BaseModel):
    id: uuid.UUID
    event: str
    execution_id: uuid.UUID | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried again (pending)")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
