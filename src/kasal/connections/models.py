"""A database connection: a name the tools use, and a URL encrypted like API keys."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class DatabaseConnection(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "db_connections"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    name: Mapped[str] = mapped_column(String(63))
    dialect: Mapped[str] = mapped_column(String(16))  # postgresql | mysql | mariadb | sqlite
    # The whole URL, password included, as a secret-box ciphertext (core.crypto).
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_masked: Mapped[str] = mapped_column(Text)  # what people see: the password as ***
    has_password: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
