"""Models catalog, API keys (encrypted), tool settings

Revision ID: b7e1c2a4d001
Revises: 099c50f5c1e7
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "b7e1c2a4d001"
down_revision: str | None = "099c50f5c1e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
