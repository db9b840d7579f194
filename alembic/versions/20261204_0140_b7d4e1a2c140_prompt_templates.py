"""Prompt templates: a group's own text of a shipped template

Revision ID: b7d4e1a2c140
Revises: b7d2e4f60120
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "b7d4e1a2c140"
down_revision: str | None = "b7d2e4f60120"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prompt_templates",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_prompt_templates_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_templates")),
        sa.UniqueConstraint("group_id", "key", name=op.f("uq_prompt_templates_group_id_key")),
    )
    with op.batch_alter_table("prompt_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_templates_group_id"), ["group_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("prompt_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_templates_group_id"))
    op.drop_table("prompt_templates")
