"""Models catalog, API keys (encrypted), tool settings

Revision ID: b7e1c2a4d001
Revises: 099c50f5c1e7
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kasal.core.db

revision: str = "b7e1c2a4d001"
down_revision: str | None = "099c50f5c1e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
    ]


def _group_id(table: str) -> list[object]:
    return [
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f(f"fk_{table}_group_id_groups"),
            ondelete="CASCADE",
        ),
    ]


def _index_group_id(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_group_id"), ["group_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "llm_models",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("context_window", sa.Integer(), nullable=True),
        sa.Column("max_output_tokens", sa.Integer(), nullable=True),
        sa.Column("default_temperature", sa.Double(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("input_price_per_mtok", sa.Double(), nullable=True),
        sa.Column("output_price_per_mtok", sa.Double(), nullable=True),
        sa.Column(
            "seeded_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_models")),
        sa.UniqueConstraint("key", name=op.f("uq_llm_models_key")),
    )
    op.create_table(
        "group_llm_models",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("context_window", sa.Integer(), nullable=True),
        sa.Column("max_output_tokens", sa.Integer(), nullable=True),
        sa.Column("default_temperature", sa.Double(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("input_price_per_mtok", sa.Double(), nullable=True),
        sa.Column("output_price_per_mtok", sa.Double(), nullable=True),
        *_timestamps(),
        *_group_id("group_llm_models"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_llm_models")),
        sa.UniqueConstraint("group_id", "key", name=op.f("uq_group_llm_models_group_id_key")),
    )
    _index_group_id("group_llm_models")
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("value_encrypted", sa.Text(), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        *_timestamps(),
        *_group_id("api_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("group_id", "provider", name=op.f("uq_api_keys_group_id_provider")),
    )
    _index_group_id("api_keys")
    op.create_table(
        "group_tool_settings",
        sa.Column("tool_id", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_timestamps(),
        *_group_id("group_tool_settings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_tool_settings")),
        sa.UniqueConstraint(
            "group_id", "tool_id", name=op.f("uq_group_tool_settings_group_id_tool_id")
        ),
    )
    _index_group_id("group_tool_settings")


def downgrade() -> None:
    for table in ("group_tool_settings", "api_keys", "group_llm_models"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_group_id"))
        op.drop_table(table)
    op.drop_table("llm_models")
