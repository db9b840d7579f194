"""A question a paused run asks (`execution.waiting`), and its answer once given."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, JSONType, TimestampMixin


class ApprovalStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    replied = "replied"
    # The run ended before anyone answered (it was cancelled): nothing to answer any more.
    closed = "closed"


class Approval(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "approvals"
    __table_args__ = (
        Index("ix_approvals_group_status_created", "group_id", "status", "created_at"),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    execution_name: Mapped[str] = mapped_column(String(200))  # the crew's or the flow's
    status: Mapped[ApprovalStatus] = mapped_column(
        Enum(ApprovalStatus, native_enum=False, length=16), default=ApprovalStatus.pending
    )
    question: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)  # under review, as Markdown
    answers: Mapped[list[str]] = mapped_column(JSONType)
    role: Mapped[str] = mapped_column(String(16))  # the least role that may answer
    step_key: Mapped[str | None] = mapped_column(String(64))
    task_key: Mapped[str | None] = mapped_column(String(64))
    timeout_at: Mapped[datetime | None] = mapped_column(index=True)
    on_timeout: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    timed_out: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime | None]
