"""A flow is its current document plus an immutable row per saved version, as a crew is
(the saving rules are `core.versioning`'s)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin, utcnow


class Flow(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    """The head of a flow. `version` is the compare-and-set guard for concurrent saves."""

    __tablename__ = "flows"
    __table_args__ = (UniqueConstraint("group_id", "name_key"),)

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    content: Mapped[dict[str, Any]]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FlowVersion(IdMixin, GroupOwnedMixin, Base):
    """One saved state of a flow, never changed once written."""

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flows.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    content: Mapped[dict[str, Any]]
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
