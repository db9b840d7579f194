"""A group's MCP servers. Env values and headers are one encrypted document, never shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, JSONType, TimestampMixin


class McpServer(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "mcp_servers"
    # The name is the handle crews use (`mcp:<name>`): unique in the group.
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    name: Mapped[str] = mapped_column(String(64))
    transport: Mapped[str] = mapped_column(String(20))  # stdio | sse | streamable_http
    command: Mapped[str | None] = mapped_column(String(1000))
    args: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cwd: Mapped[str | None] = mapped_column(String(1000))
    url: Mapped[str | None] = mapped_column(String(2000))
    # A Fernet token (core.crypto) of {"env": {...}, "headers": {...}}; the names are kept in
    # clear beside it so that a read can say which are set without decrypting anything.
    secrets_encrypted: Mapped[str] = mapped_column(Text)
    env_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    header_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    connect_timeout_s: Mapped[float]
    call_timeout_s: Mapped[float]
    enabled: Mapped[bool] = mapped_column(default=True)
    # The last discovery (POST .../test): the tools found, or why none could be listed.
    tools: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    discovered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
