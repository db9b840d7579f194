"""Crews and their versions, agent and task library

Revision ID: c3d9f0a2e002
Revises: b7e1c2a4d001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kasal.core.db

revision: str = "c3d9f0a2e002"
down_revision: str | None = "b7e1c2a4d001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
    ]


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
        "agents",
        sa.Column("role", sa.String(length=1000), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("backstory", sa.Text(), nullable=False),
        sa.Column("llm", sa.String(length=200), nullable=True),
        sa.Column("tools", _json(), nullable=False),
        sa.Column("allow_delegation", sa.Boolean(), nullable=False),
        sa.Column("max_iter", sa.Integer(), nullable=False),
        sa.Column("max_rpm", sa.Integer(), nullable=True),
        sa.Column("max_execution_time", sa.Integer(), nullable=True),
        sa.Column("reasoning", sa.Boolean(), nullable=False),
        sa.Column("verbose", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _group_fk("agents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_group_id"), ["group_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("expected_output", sa.Text(), nullable=False),
        sa.Column("tools", _json(), nullable=False),
        sa.Column("async_execution", sa.Boolean(), nullable=False),
        sa.Column("output_format", sa.String(length=16), nullable=False),
        sa.Column("output_schema", _json(), nullable=True),
        sa.Column("markdown", sa.Boolean(), nullable=False),
        sa.Column("human_input", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _group_fk("tasks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_group_id"), ["group_id"], unique=False)

    op.create_table(
        "crews",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        *_timestamps(),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _user_fk("crews", "created_by"),
        _group_fk("crews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crews")),
        sa.UniqueConstraint("group_id", "name_key", name=op.f("uq_crews_group_id_name_key")),
    )
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crews_group_id"), ["group_id"], unique=False)

    op.create_table(
        "crew_versions",
        sa.Column("crew_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _json(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        _user_fk("crew_versions", "author_id"),
        sa.ForeignKeyConstraint(
            ["crew_id"],
            ["crews.id"],
            name=op.f("fk_crew_versions_crew_id_crews"),
            ondelete="CASCADE",
        ),
        _group_fk("crew_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_versions")),
        sa.UniqueConstraint("crew_id", "version", name=op.f("uq_crew_versions_crew_id_version")),
    )
    with op.batch_alter_table("crew_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crew_versions_crew_id"), ["crew_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crew_versions_group_id"), ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crew_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crew_versions_group_id"))
        batch_op.drop_index(batch_op.f("ix_crew_versions_crew_id"))
    op.drop_table("crew_versions")
    with op.batch_alter_table("crews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crews_group_id"))
    op.drop_table("crews")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_group_id"))
    op.drop_table("tasks")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_group_id"))
    op.drop_table("agents")
