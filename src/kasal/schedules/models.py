"""A schedule, and the record of each of its fires (the claim that makes a fire unique)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin, utcnow


class MissedPolicy(enum.StrEnum):
    """What a fire missed while no Kasal process was running becomes."""

    run_once = "run_once"  # one run, however many fires were missed
    skip = "skip"  # none; the missed fires are recorded as skipped


class FireOutcome(enum.StrEnum):
    started = "started"
    skipped = "skipped"


class Schedule(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "schedules"

    crew_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crews.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    missed: Mapped[MissedPolicy] = mapped_column(
        Enum(MissedPolicy, native_enum=False, length=16), default=MissedPolicy.run_once
    )
    # Runs start as this user, with their role in the group at the time of the fire.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The first fire not yet handled; None while disabled.
    next_fire_at: Mapped[datetime | None] = mapped_column(index=True)


class ScheduleFire(IdMixin, Base):
    """One fire of a schedule. Its unique (schedule, time) is the claim: of two processes
    firing the same time, the second one's insert fails, so it starts no second run."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    fire_at: Mapped[datetime]
    outcome: Mapped[FireOutcome] = mapped_column(Enum(FireOutcome, native_enum=False, length=16))
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
