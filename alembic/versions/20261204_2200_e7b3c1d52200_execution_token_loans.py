"""Execution token loans: a queued run's Databricks token, encrypted and short-lived, for the
worker that claims the run (procrastinate backend)

Revision ID: e7b3c1d52200
Revises: f1a2b3c42000
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "e7b3c1d52200"
down_revision: str | None = "f1a2b3c42000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "execution_token_loans",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("token_encrypted", sa.Text(), nullable=False),
        sa.Column("expires_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_token_loans_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_execution_token_loans")),
    )
    with op.batch_alter_table("execution_token_loans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_execution_token_loans_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("execution_token_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_execution_token_loans_expires_at"))
    op.drop_table("execution_token_loans")
