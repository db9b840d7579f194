"""A group's knowledge bases and the files uploaded to them. The chunks themselves live in
each base's vector store (a LanceDB folder of the data dir), not in the database."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kasal.core.db import Base, GroupOwnedMixin, IdMixin, TimestampMixin


class FileStatus(enum.StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class KnowledgeBase(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "knowledge_bases"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    embedding_model: Mapped[str] = mapped_column(String(200))  # a model key of kind embedding
    chunk_size: Mapped[int]  # characters
    chunk_overlap: Mapped[int]  # characters a chunk repeats of the one before


class KnowledgeFile(IdMixin, TimestampMixin, GroupOwnedMixin, Base):
    __tablename__ = "knowledge_files"

    base_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(200))
    status: Mapped[FileStatus] = mapped_column(
        Enum(FileStatus, native_enum=False, length=16), default=FileStatus.queued, index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    chunks_done: Mapped[int] = mapped_column(default=0)
    chunks_total: Mapped[int | None]  # known once the text is extracted and chunked
    # While `processing`: until when the claiming process answers for it (renewed per batch).
    lease_expires_at: Mapped[datetime | None]
