"""MCP servers per group (env values and headers encrypted)

Revision ID: a7c3e9d1f340
Revises: f6c8d3e5a133
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kasal.core.db

revision: str = "a7c3e9d1f340"
down_revision: str | None = "f6c8d3e5a133"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mcp_servers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("command", sa.String(length=1000), nullable=True),
        sa.Column("args", _JSON, nullable=False),
        sa.Column("cwd", sa.String(length=1000), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("secrets_encrypted", sa.Text(), nullable=False),
        sa.Column("env_names", _JSON, nullable=False),
        sa.Column("header_names", _JSON, nullable=False),
        sa.Column("connect_timeout_s", sa.Double(), nullable=False),
        sa.Column("call_timeout_s", sa.Double(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("tools", _JSON, nullable=True),
        sa.Column("discovered_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_mcp_servers_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mcp_servers")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_mcp_servers_group_id_name")),
    )
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mcp_servers_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mcp_servers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mcp_servers_group_id"))
    op.drop_table("mcp_servers")
