"""An execution and its append-only event log."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin, utcnow


class Status(enum.StrEnum):
    queued = "queued"
    running = "running"
    waiting = "waiting"  # paused for a person's answer; holds no worker slot
    cancelling = "cancelling"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    interrupted = "interrupted"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset({Status.succeeded, Status.failed, Status.cancelled, Status.interrupted})
ACTIVE = frozenset({Status.running, Status.cancelling})


class Execution(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "executions"
    __table_args__ = (Index("ix_executions_group_created", "group_id", "created_at"),)

    crew_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("crews.id", ondelete="SET NULL"), index=True
    )
    # A flow run: its flow (crew_id is then None; crew_name and crew_version are the flow's).
    flow_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("flows.id", ondelete="SET NULL"), index=True
    )
    crew_name: Mapped[str] = mapped_column(String(200))
    crew_version: Mapped[int]
    # the CrewSpec (a flow run: the FlowSpec) as it was when the run was asked for
    spec: Mapped[dict[str, Any]]
    inputs: Mapped[dict[str, Any]]
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=16), default=Status.queued, index=True
    )
    result: Mapped[str | None] = mapped_column(Text)
    task_outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    usage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cost: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which API process drives the run, and until when that claim holds without renewal.
    runner_id: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    # While `waiting`: the engine's checkpoint, all it needs to go on; once answered (and
    # queued again), the `spec.Resume` it is run with: that checkpoint and the answer.
    checkpoint: Mapped[dict[str, Any] | None]


class ExecutionEvent(Base):
    __tablename__ = "execution_events"

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    task_key: Mapped[str | None] = mapped_column(String(64))
    agent_key: Mapped[str | None] = mapped_column(String(64))
    step_key: Mapped[str | None] = mapped_column(String(64))  # the flow step it happened in
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ExecutionAttachment(Base):
    """A file the user attached when asking for the run, kept with the run's request (like
    its spec) until the dispatcher places it in the run folder, wherever that folder is."""

    __tablename__ = "execution_attachments"

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class TokenLoan(Base):
    """A Databricks token lent to a queued run on the procrastinate backend, for whichever
    worker claims it: encrypted with the secret keys, read and deleted by that worker in
    the transaction of its claim, and unusable after `expires_at` (see `handoff`)."""

    __tablename__ = "execution_token_loans"

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    token_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)
