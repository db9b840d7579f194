"""Every migration upgrades, downgrades cleanly, and leaves the schema the models describe."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine

from kasal.core import migrate
from kasal.core.db import Base
from kasal.models import load_all
from tests.support.database import BACKENDS, throwaway_database


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database(request.param, tmp_path) as url:
        yield url


async def _inspect(url: str, fn: object) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _drift(connection: Connection) -> list[object]:
    load_all()
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": migrate.ours}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_gives_exactly_the_models_schema(empty_db: str) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_db)
    assert await _inspect(empty_db, _drift) == []


async def test_each_migration_downgrades_cleanly_and_upgrades_again(empty_db: str) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_db))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:  # up one step at a time, then down one and up again
        await asyncio.to_thread(migrate.upgrade, empty_db, revision)
        await asyncio.to_thread(migrate.downgrade, empty_db, "-1")
        await asyncio.to_thread(migrate.upgrade, empty_db, revision)
    await asyncio.to_thread(migrate.downgrade, empty_db, "base")
    assert await _inspect(empty_db, _tables) == set()
    await asyncio.to_thread(migrate.upgrade, empty_db)
    assert await _inspect(empty_db, _drift) == []


@pytest.fixture
def postgres_db(tmp_path: Path) -> Iterator[str]:
    with throwaway_database("postgresql", tmp_path) as url:
        yield url


async def test_replicas_starting_together_migrate_once(postgres_db: str) -> None:
    """Replicas are processes. Unlocked, concurrent CREATE TABLEs fail on PostgreSQL."""
    upgrade = "import sys; from kasal.core.migrate import upgrade; upgrade(sys.argv[1])"
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", upgrade, postgres_db, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    outputs = [(await r.communicate())[1].decode() for r in replicas]
    assert [r.returncode for r in replicas] == [0, 0, 0], outputs
    assert await _inspect(postgres_db, _drift) == []
