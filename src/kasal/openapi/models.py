"""A registered OpenAPI document: its operations, parsed once, and how to call them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, JSONType, TimestampMixin


class OpenApiSource(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    """`name` is the handle in tool references (`openapi:<name>`); unique per group, ignoring
    case (`name_key`). The document itself is not kept: only what calls need, which is
    `operations` (`engine.openapi_spec.OpenApiOperation` dumps, every `$ref` resolved)."""

    __tablename__ = "openapi_sources"
    __table_args__ = (UniqueConstraint("group_id", "name_key"),)

    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(300), default="")  # the document's info
    doc_version: Mapped[str] = mapped_column(String(100), default="")
    source_url: Mapped[str | None] = mapped_column(String(2000))  # where it was fetched from
    base_url: Mapped[str] = mapped_column(String(2000))
    auth_type: Mapped[str] = mapped_column(String(16), default="none")
    auth_location: Mapped[str | None] = mapped_column(String(16))
    auth_name: Mapped[str | None] = mapped_column(String(200))
    secret_encrypted: Mapped[str | None] = mapped_column(Text)  # a Fernet token (core.crypto)
    enabled: Mapped[bool] = mapped_column(default=True)
    timeout_s: Mapped[float]
    max_response_bytes: Mapped[int]
    operations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
