"""Async Alembic environment. PostgreSQL migrations run under an advisory lock."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from kasal.core.config import Settings
from kasal.core.db import Base
from kasal.core.dbpassword import use_password
from kasal.core.migrate import ours
from kasal.models import load_all

load_all()
config = context.config
target_metadata = Base.metadata

# Any constant works; it only has to be the same in every replica.
MIGRATION_LOCK_ID = 0x6B6173616C  # "kasal"


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else Settings().db_url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate_locked(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        _migrate(connection)
        return
    # Two replicas starting at once: the second waits, then finds nothing left to do.
    connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    connection.commit()
    try:
        _migrate(connection)
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()


async def run_async_migrations() -> None:
    engine = create_async_engine(_url(), poolclass=NullPool)
    password = config.attributes.get("database_password")
    if password is not None:
        use_password(engine, password)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate_locked)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
