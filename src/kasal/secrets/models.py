"""API keys: one provider credential per group and provider, encrypted at rest."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class ApiKey(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("group_id", "provider"),)

    name: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(32))
    value_encrypted: Mapped[str] = mapped_column(Text)  # a Fernet token (core.crypto)
    last4: Mapped[str] = mapped_column(String(4))  # what the UI shows; "" for short values
