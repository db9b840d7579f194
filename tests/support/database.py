"""Throwaway databases: the same suite runs on SQLite and on PostgreSQL.

PostgreSQL comes from KASAL_TEST_POSTGRES_URL (a server URL; each run creates its own
database there and drops it afterwards). Without a server the PostgreSQL half is skipped
loudly, unless KASAL_REQUIRE_POSTGRES=1 (as in CI), which makes it a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from psycopg.errors import DeadlockDetected
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kasal import seeds
from kasal.core.db import Base, libpq_url
from kasal.models import load_all

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
postgres_skipped: list[str] = []


def postgres_server_url() -> str:
    return os.environ.get("KASAL_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


@contextmanager
def throwaway_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A new, empty database for `backend`; dropped on exit."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / f'kasal-{uuid.uuid4().hex[:8]}.db'}"
        return
    server = postgres_server_url()
    try:
        admin = psycopg.connect(libpq_url(server), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL at {make_url(server).render_as_string()} is not reachable: {exc}"
        if os.environ.get("KASAL_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (KASAL_REQUIRE_POSTGRES=1)")
        postgres_skipped.append(reason)
        pytest.skip(reason)
    name = f"kasal_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def reset_database(app: FastAPI) -> None:
    """Back to a freshly installed state between tests: empty every table (the schema,
    built by the migrations, stays), then run the seeders as a start-up would."""
    await _empty(app.state.engine)
    app.state.auth_cache.clear()  # the tables were emptied behind the ORM's back
    async with app.state.sessionmaker() as session:
        await seeds.run_all(session, app.state.settings)


async def _empty(engine: AsyncEngine) -> None:
    """A live server's dispatcher shares the database and keeps house every second (leases,
    recovery, run folders); on PostgreSQL its transaction and the TRUNCATE can deadlock,
    and the database then rolls one of them back. The TRUNCATE is simply made again."""
    load_all()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    for attempt in range(1, _EMPTY_ATTEMPTS + 1):
        try:
            async with engine.begin() as connection:
                if engine.dialect.name == "postgresql":
                    await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                else:
                    for table in tables:
                        await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
            return
        except DBAPIError as exc:
            if not isinstance(exc.orig, DeadlockDetected) or attempt == _EMPTY_ATTEMPTS:
                raise
            await asyncio.sleep(0.1 * attempt)


_EMPTY_ATTEMPTS = 5
