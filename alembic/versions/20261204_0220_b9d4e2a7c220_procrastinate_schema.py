"""procrastinate's schema (its jobs, workers, events), for KASAL_QUEUE=procrastinate

PostgreSQL only: SQLite runs the local queue and gets nothing. The schema is procrastinate's
own SQL for the version in uv.lock; a later procrastinate that changes it ships its SQL
migrations (procrastinate/sql/migrations), applied by a later migration here.

Revision ID: b9d4e2a7c220
Revises: c4a7e2b9d201
Create Date: 2026-12-04
"""

import re
from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "b9d4e2a7c220"
down_revision: str | None = "c4a7e2b9d201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        # As procrastinate applies it: the driver reads `%` as a placeholder.
        op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    if not _postgresql():
        return
    schema = SchemaManager.get_schema()
    tables = re.findall(r"^CREATE TABLE (\w+)", schema, re.MULTILINE)
    functions = re.findall(r"^CREATE FUNCTION (\w+)", schema, re.MULTILINE)
    types = re.findall(r"^CREATE TYPE (\w+)", schema, re.MULTILINE)
    bind = op.get_bind()
    bind.exec_driver_sql(f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE")
    for function in functions:
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    bind.exec_driver_sql(f"DROP TYPE IF EXISTS {', '.join(types)} CASCADE")
