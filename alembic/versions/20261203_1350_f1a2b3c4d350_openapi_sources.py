"""OpenAPI sources: registered documents whose operations become tools

Revision ID: f1a2b3c4d350
Revises: a7c3e9d1f340
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kasal.core.db

revision: str = "f1a2b3c4d350"
down_revision: str | None = "a7c3e9d1f340"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openapi_sources",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("doc_version", sa.String(length=100), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("base_url", sa.String(length=2000), nullable=False),
        sa.Column("auth_type", sa.String(length=16), nullable=False),
        sa.Column("auth_location", sa.String(length=16), nullable=True),
        sa.Column("auth_name", sa.String(length=200), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("timeout_s", sa.Double(), nullable=False),
        sa.Column("max_response_bytes", sa.Integer(), nullable=False),
        sa.Column(
            "operations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_openapi_sources_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openapi_sources")),
        sa.UniqueConstraint(
            "group_id", "name_key", name=op.f("uq_openapi_sources_group_id_name_key")
        ),
    )
    with op.batch_alter_table("openapi_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_openapi_sources_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("openapi_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_openapi_sources_group_id"))
    op.drop_table("openapi_sources")
