"""Database connections for the sql_query tool (URLs encrypted)

Revision ID: f6c8d3e5a133
Revises: f1a2b3c4d010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "f6c8d3e5a133"
down_revision: str | None = "f1a2b3c4d010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "db_connections",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("dialect", sa.String(length=16), nullable=False),
        sa.Column("url_encrypted", sa.Text(), nullable=False),
        sa.Column("url_masked", sa.Text(), nullable=False),
        sa.Column("has_password", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_db_connections_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_db_connections")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_db_connections_group_id_name")),
    )
    with op.batch_alter_table("db_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_db_connections_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("db_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_db_connections_group_id"))
    op.drop_table("db_connections")
