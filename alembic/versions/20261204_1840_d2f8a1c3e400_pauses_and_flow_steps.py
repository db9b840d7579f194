"""Pauses and flow steps: a waiting run's checkpoint, and the flow step of each event

Revision ID: d2f8a1c3e400
Revises: c4e7a2b9d320
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d2f8a1c3e400"
down_revision: str | None = "c4e7a2b9d320"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("checkpoint", _json(), nullable=True))
    with op.batch_alter_table("execution_events") as batch:
        batch.add_column(sa.Column("step_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("execution_events") as batch:
        batch.drop_column("step_key")
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("checkpoint")
