"""A group's own text of a prompt template. The defaults are data, not rows."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class PromptTemplate(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "prompt_templates"
    __table_args__ = (UniqueConstraint("group_id", "key"),)

    key: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
