"""Tracing to MLflow: a setting per group, and the export of each finished run

Revision ID: c4e7a2b9d320
Revises: a1b2c3d40240
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import kasal.core.db

revision: str = "c4e7a2b9d320"
down_revision: str | None = "a1b2c3d40240"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tracing_settings",
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("experiment_name", sa.String(length=500), nullable=False),
        sa.Column("enabled_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_tracing_settings_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_settings")),
        sa.UniqueConstraint("group_id", name=op.f("uq_tracing_settings_group_id")),
    )
    with op.batch_alter_table("tracing_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracing_settings_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "trace_exports",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "exporting",
                "exported",
                "failed",
                name="exportstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("experiment_name", sa.String(length=500), nullable=False),
        sa.Column("trace_id", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", kasal.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("exported_at", kasal.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_trace_exports_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_trace_exports_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_trace_exports")),
    )
    with op.batch_alter_table("trace_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trace_exports_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "ix_trace_exports_status_next", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("trace_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_trace_exports_status_next")
        batch_op.drop_index(batch_op.f("ix_trace_exports_group_id"))

    op.drop_table("trace_exports")
    with op.batch_alter_table("tracing_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracing_settings_group_id"))

    op.drop_table("tracing_settings")
