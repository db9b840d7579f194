"""Crews and their versions, agent and task library

Revision ID: c3d9f0a2e002
Revises: b7e1c2a4d001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "c3d9f0a2e002"
down_revision: str | None = "b7e1c2a4d001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
