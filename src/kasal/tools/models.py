"""Per-group tool switches. No row means the built-in tool is enabled."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class GroupToolSetting(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "group_tool_settings"
    __table_args__ = (UniqueConstraint("group_id", "tool_id"),)

    tool_id: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
