"""Executions and their event log

Revision ID: d4a8e1f3b003
Revises: c3d9f0a2e002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "d4a8e1f3b003"
down_revision: str | None = "c3d9f0a2e002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
