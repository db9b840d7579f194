"""Request and response bodies of the schedules endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from kasal.executions.schemas import Inputs
from kasal.schedules.models import FireOutcome, MissedPolicy

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Cron = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(description='Five fields, minute first: "0 9 * * MON-FRI" is 09:00 on weekdays'),
]
TimeZone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description='An IANA time zone, e.g. "Europe/Paris"; the cron reads in it'),
]
_MISSED = "A fire missed while Kasal was down: one run at start-up, or skipped"


class ScheduleCreate(BaseModel):
    crew_id: uuid.UUID
    name: Name
    cron: Cron
    timezone: TimeZone = "UTC"
    inputs: Inputs = Field(default_factory=dict)
    enabled: bool = True
    missed: MissedPolicy = Field(MissedPolicy.run_once, description=_MISSED)


class ScheduleUpdate(BaseModel):
    name: Name | None = None
    cron: Cron | None = None
    timezone: TimeZone | None = None
    inputs: Inputs | None = None
    enabled: bool | None = None
    missed: MissedPolicy | None = Field(None, description=_MISSED)


class FireRead(BaseModel):
    id: uuid.UUID
    fire_at: datetime
    outcome: FireOutcome
    execution_id: uuid.UUID | None = Field(description="The run it started")
    reason: str | None = Field(description="Why it was skipped, or why it ran late")
    created_at: datetime


class ScheduleRead(BaseModel):
    id: uuid.UUID
    crew_id: uuid.UUID
    name: str
    cron: str
    timezone: str
    inputs: dict[str, str]
    enabled: bool
    missed: MissedPolicy
    owner_id: uuid.UUID | None = Field(description="Runs start as this user (the last editor)")
    next_fire_times: list[datetime] = Field(description="The next fires (none while disabled)")
    last_fire: FireRead | None
    created_at: datetime
    updated_at: datetime
