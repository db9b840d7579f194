"""Flows and their versions; an execution may run a flow

Revision ID: f1a2b3c42000
Revises: e5a7c9b1d190
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kasal.core.db

revision: str = "f1a2b3c42000"
down_revision: str | None = "e5a7c9b1d190"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _group_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["group_id"], ["groups.id"], name=op.f(f"fk_{table}_group_id_groups"), ondelete="CASCADE"
    )


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _user_fk("flows", "created_by"),
        _group_fk("flows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
        sa.UniqueConstraint("group_id", "name_key", name=op.f("uq_flows_group_id_name_key")),
    )
    with op.batch_alter_table("flows") as batch:
        batch.create_index(batch.f("ix_flows_group_id"), ["group_id"], unique=False)
    op.create_table(
        "flow_versions",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _user_fk("flow_versions", "author_id"),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flows.id"],
            name=op.f("fk_flow_versions_flow_id_flows"),
            ondelete="CASCADE",
        ),
        _group_fk("flow_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_versions")),
        sa.UniqueConstraint("flow_id", "version", name=op.f("uq_flow_versions_flow_id_version")),
    )
    with op.batch_alter_table("flow_versions") as batch:
        batch.create_index(batch.f("ix_flow_versions_flow_id"), ["flow_id"], unique=False)
        batch.create_index(batch.f("ix_flow_versions_group_id"), ["group_id"], unique=False)
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("flow_id", sa.Uuid(), nullable=True))
        batch.create_index(batch.f("ix_executions_flow_id"), ["flow_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_executions_flow_id_flows"),
            "flows",
            ["flow_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_constraint(batch.f("fk_executions_flow_id_flows"), type_="foreignkey")
        batch.drop_index(batch.f("ix_executions_flow_id"))
        batch.drop_column("flow_id")
    with op.batch_alter_table("flow_versions") as batch:
        batch.drop_index(batch.f("ix_flow_versions_group_id"))
        batch.drop_index(batch.f("ix_flow_versions_flow_id"))
    op.drop_table("flow_versions")
    with op.batch_alter_table("flows") as batch:
        batch.drop_index(batch.f("ix_flows_group_id"))
    op.drop_table("flows")
