"""A trigger: a crew, and the hash of the secret that fires it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class Trigger(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "triggers"

    crew_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crews.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the `kasal_trg_...` secret, which is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(24))  # its first characters, to tell apart
    # Runs start as this user, with their role in the group at the time of the fire.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    last_fired_at: Mapped[datetime | None]
