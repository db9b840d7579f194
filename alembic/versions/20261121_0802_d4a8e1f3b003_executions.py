"""Executions and their event log

Revision ID: d4a8e1f3b003
Revises: c3d9f0a2e002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
from alembic import op

import kasal.core.db

revision: str = "d4a8e1f3b003"
down_revision: str | None = "c3d9f0a2e002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


STATUSES = ("queued", "running", "cancelling", "succeeded", "failed", "cancelled", "interrupted")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "executions",
        sa.Column("crew_id", sa.Uuid(), nullable=True),
        sa.Column("crew_name", sa.String(length=200), nullable=False),
        sa.Column("crew_version", sa.Integer(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("inputs", JSON, nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("task_outputs", JSON, nullable=False),
        sa.Column("usage", JSON, nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("started_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("runner_id", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_executions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["crew_id"],
            ["crews.id"],
            name=op.f("fk_executions_crew_id_crews"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_executions_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    with op.batch_alter_table("executions") as batch_op:
        batch_op.create_index("ix_executions_group_created", ["group_id", "created_at"])
        batch_op.create_index(batch_op.f("ix_executions_crew_id"), ["crew_id"])
        batch_op.create_index(batch_op.f("ix_executions_group_id"), ["group_id"])
        batch_op.create_index(batch_op.f("ix_executions_status"), ["status"])
    op.create_table(
        "execution_events",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("ts", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("task_key", sa.String(length=64), nullable=True),
        sa.Column("agent_key", sa.String(length=64), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_events_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", "seq", name=op.f("pk_execution_events")),
    )


def downgrade() -> None:
    op.drop_table("execution_events")
    with op.batch_alter_table("executions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_executions_status"))
        batch_op.drop_index(batch_op.f("ix_executions_group_id"))
        batch_op.drop_index(batch_op.f("ix_executions_crew_id"))
        batch_op.drop_index("ix_executions_group_created")
    op.drop_table("executions")
