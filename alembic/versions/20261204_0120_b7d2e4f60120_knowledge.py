"""Knowledge bases per group and the files uploaded to them

Revision ID: b7d2e4f60120
Revises: f1a2b3c4d350
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "b7d2e4f60120"
down_revision: str | None = "f1a2b3c4d350"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUS = sa.Enum(
    "queued", "processing", "ready", "failed", name="filestatus", native_enum=False, length=16
)


def upgrade() -> None:
    op.create_table(
        "knowledge_bases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunk_overlap", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_knowledge_bases_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_bases")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_knowledge_bases_group_id_name")),
    )
    with op.batch_alter_table("knowledge_bases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_bases_group_id"), ["group_id"], unique=False)

    op.create_table(
        "knowledge_files",
        sa.Column("base_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("status", _STATUS, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("chunks_done", sa.Integer(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=True),
        sa.Column("lease_expires_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_files_base_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_knowledge_files_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_files")),
    )
    with op.batch_alter_table("knowledge_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_files_base_id"), ["base_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_files_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_files_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("knowledge_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_files_status"))
        batch_op.drop_index(batch_op.f("ix_knowledge_files_group_id"))
        batch_op.drop_index(batch_op.f("ix_knowledge_files_base_id"))
    op.drop_table("knowledge_files")
    with op.batch_alter_table("knowledge_bases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_bases_group_id"))
    op.drop_table("knowledge_bases")
