"""A group's tracing setting, and the export of each finished run it asked for."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class TracingSetting(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    """One row per group that ever changed it; none means tracing off."""

    __tablename__ = "tracing_settings"
    __table_args__ = (UniqueConstraint("group_id"),)

    enabled: Mapped[bool] = mapped_column(default=False)
    experiment_name: Mapped[str] = mapped_column(String(500))
    # Runs that finished before tracing was (last) turned on are not exported.
    enabled_at: Mapped[datetime | None]


class ExportStatus(enum.StrEnum):
    pending = "pending"
    exporting = "exporting"
    exported = "exported"
    failed = "failed"  # retried at next_attempt_at; none: given up


class TraceExport(GroupOwnedMixin, Base):
    """The export of one run. The primary key makes it one per run, whichever process
    finds the run first; a conditional UPDATE makes one process at a time export it."""

    __tablename__ = "trace_exports"
    __table_args__ = (Index("ix_trace_exports_status_next", "status", "next_attempt_at"),)

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[ExportStatus] = mapped_column(
        Enum(ExportStatus, native_enum=False, length=16), default=ExportStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    experiment_name: Mapped[str] = mapped_column(String(500))
    trace_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    exported_at: Mapped[datetime | None]
