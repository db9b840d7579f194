"""Approvals: the questions of paused runs, and a task's approval settings

Revision ID: e5a7c9b1d190
Revises: d2f8a1c3e400
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql
from alembic import op

import kasal.core.db

revision: str = "e5a7c9b1d190"
down_revision: str | None = "d2f8a1c3e400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
UTC = kasal.core.db.UTCDateTime(timezone=True)
STATUSES = ("pending", "approved", "rejected", "replied", "closed")


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("execution_name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="approvalstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=True),
        sa.Column("task_key", sa.String(length=64), nullable=True),
        sa.Column("timeout_at", UTC, nullable=True),
        sa.Column("on_timeout", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("timed_out", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"],
            ["users.id"],
            name=op.f("fk_approvals_answered_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_approvals_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_approvals_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_approvals_execution_id"), ["execution_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_approvals_timeout_at"), ["timeout_at"], unique=False)
        batch_op.create_index(
            "ix_approvals_group_status_created",
            ["group_id", "status", "created_at"],
            unique=False,
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("approval")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_approvals_group_status_created")
        batch_op.drop_index(batch_op.f("ix_approvals_timeout_at"))
        batch_op.drop_index(batch_op.f("ix_approvals_execution_id"))
        batch_op.drop_index(batch_op.f("ix_approvals_group_id"))
    op.drop_table("approvals")
