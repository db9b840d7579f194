"""Chat sessions (one user's, in one group) and their messages, each answer with its run."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class ChatSession(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "chat_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    target_kind: Mapped[str] = mapped_column(String(8))  # crew | agent
    # Exactly one target. Deleting it leaves the chat readable (its name is kept) but mute.
    crew_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("crews.id", ondelete="SET NULL"))
    agent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    target_name: Mapped[str] = mapped_column(String(1000))
    model: Mapped[str | None] = mapped_column(String(200))  # overrides every agent's model


class MessageStatus(enum.StrEnum):
    pending = "pending"  # the turn's run has not ended yet
    done = "done"
    failed = "failed"  # the run failed, was cancelled or interrupted: `error` says why


class ChatMessage(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("chat_id", "position"),)

    chat_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, 2... in the order of the talk
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=16), default=MessageStatus.done
    )
    error: Mapped[str | None] = mapped_column(Text)
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL"), index=True
    )
    # How many earlier messages the turn's run left out to fit the model's context window.
    omitted: Mapped[int] = mapped_column(Integer, default=0)
