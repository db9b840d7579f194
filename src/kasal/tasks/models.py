"""Library tasks: reusable task definitions of a group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, JSONType, TimestampMixin


class LibraryTask(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "tasks"

    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    expected_output: Mapped[str] = mapped_column(Text, default="")
    tools: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    async_execution: Mapped[bool] = mapped_column(default=False)
    output_format: Mapped[str] = mapped_column(String(16), default="text")
    output_schema: Mapped[dict[str, Any] | None]
    markdown: Mapped[bool] = mapped_column(default=False)
    human_input: Mapped[bool] = mapped_column(default=False)
    approval: Mapped[dict[str, Any] | None]  # engine.spec.TaskApproval
    output_file: Mapped[str | None] = mapped_column(String(500))
