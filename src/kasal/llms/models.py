"""The model catalog: global rows (seeded or added by instance admins) and group rows.

A group row either overrides some settings of a global model (`is_custom` false; a NULL
column means "as the global row says") or defines a model of the group's own
(`is_custom` true; every required column is set). Neither kind touches other groups.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class LLMModel(IdMixin, TimestampMixin, Base):
    """A model every group sees (unless a group disables it)."""

    __tablename__ = "llm_models"

    key: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="chat")
    label: Mapped[str] = mapped_column(String(200))
    context_window: Mapped[int | None]
    max_output_tokens: Mapped[int | None]
    default_temperature: Mapped[float | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    base_url: Mapped[str | None] = mapped_column(String(500))
    input_price_per_mtok: Mapped[float | None]
    output_price_per_mtok: Mapped[float | None]
    # What the seed data last wrote (None: added by an admin, never touched by seeding).
    # A re-seed updates a field only where the row still holds the last seeded value.
    seeded_values: Mapped[dict[str, Any] | None]


class GroupLLMModel(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    """A group's override of a global model, or a group's own (custom) model."""

    __tablename__ = "group_llm_models"
    __table_args__ = (UniqueConstraint("group_id", "key"),)

    key: Mapped[str] = mapped_column(String(100))
    is_custom: Mapped[bool] = mapped_column(default=False)
    provider: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    context_window: Mapped[int | None]
    max_output_tokens: Mapped[int | None]
    default_temperature: Mapped[float | None]
    enabled: Mapped[bool | None]
    base_url: Mapped[str | None] = mapped_column(String(500))
    input_price_per_mtok: Mapped[float | None]
    output_price_per_mtok: Mapped[float | None]
