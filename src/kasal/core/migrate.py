"""Alembic, driven from code: on start-up, from the CLI, and from the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.db import private_sqlite_file
from kasal.core.dbpassword import PasswordSource

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# Tables a migration creates from a library's own SQL (procrastinate's queue): not models.
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: compare only Kasal's models' tables with the database."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(url: str, password: PasswordSource | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = url
    config.attributes["database_password"] = password
    return config


def upgrade(url: str, revision: str = "head", password: PasswordSource | None = None) -> None:
    private_sqlite_file(url)  # alembic's engine would create a new SQLite file world-readable
    command.upgrade(alembic_config(url, password), revision)


def downgrade(url: str, revision: str, password: PasswordSource | None = None) -> None:
    command.downgrade(alembic_config(url, password), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


async def upgrade_on_start(url: str, password: PasswordSource | None = None) -> None:
    """Alembic's env runs its own event loop, so it gets a thread of its own."""
    await asyncio.to_thread(upgrade, url, "head", password)


async def current_revision(session: AsyncSession) -> str | None:
    """The database's revision; None for a database Alembic has not touched yet.

    Asked, not inferred from an error: a failing query also means an unreachable database,
    which must surface as such rather than as an empty one with migrations pending.
    """
    connection = await session.connection()
    if not await connection.run_sync(_has_version_table):
        return None
    value = await session.scalar(text("SELECT version_num FROM alembic_version"))
    return None if value is None else str(value)


def _has_version_table(connection: Connection) -> bool:
    return inspect(connection).has_table("alembic_version")
