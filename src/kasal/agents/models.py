"""Library agents: reusable agent definitions of a group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, JSONType, TimestampMixin


class LibraryAgent(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "agents"

    role: Mapped[str] = mapped_column(String(1000), default="")
    goal: Mapped[str] = mapped_column(Text, default="")
    backstory: Mapped[str] = mapped_column(Text, default="")
    llm: Mapped[str | None] = mapped_column(String(200))
    tools: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    allow_delegation: Mapped[bool] = mapped_column(default=False)
    max_iter: Mapped[int] = mapped_column(default=20)
    max_rpm: Mapped[int | None]
    max_execution_time: Mapped[int | None]
    reasoning: Mapped[bool] = mapped_column(default=False)
    verbose: Mapped[bool] = mapped_column(default=False)
