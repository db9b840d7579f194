"""A crew is its current document plus an immutable row per saved version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin, utcnow


class Crew(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    """The head of a crew. `version` is the compare-and-set guard for concurrent saves."""

    __tablename__ = "crews"
    # name_key is the lower-cased name: names are unique per group, ignoring case.
    __table_args__ = (UniqueConstraint("group_id", "name_key"),)

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    content: Mapped[dict[str, Any]]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class CrewVersion(IdMixin, GroupOwnedMixin, Base):
    """One saved state of a crew, never changed once written."""

    __tablename__ = "crew_versions"
    __table_args__ = (UniqueConstraint("crew_id", "version"),)

    crew_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crews.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    content: Mapped[dict[str, Any]]
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written: the author may later change their email or be deleted.
    author_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
