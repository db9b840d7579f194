"""Seed data: an ordered registry of idempotent seeders, run on start-up and by `kasal seed`.

A seeder is a module with `async def seed(session, settings) -> None` that flushes (never
commits) and changes nothing when run twice. `run_all` runs them in order, each in its own
transaction; on PostgreSQL under an advisory lock, so replicas starting at once do not
race each other into duplicate rows. Registering a seeder is one line in SEEDERS.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings

log = logging.getLogger(__name__)

Seeder = Callable[[AsyncSession, Settings], Awaitable[None]]

# In order: later seeders may rely on the rows of earlier ones.
SEEDERS = ("kasal.seeds.models", "kasal.seeds.crews")

SEED_LOCK_ID = 0x6B6173616C + 1  # next to the migration lock ("kasal")


def seeder(name: str) -> Seeder:
    return cast(Seeder, importlib.import_module(name).seed)


async def run_all(session: AsyncSession, settings: Settings) -> None:
    for name in SEEDERS:
        if session.get_bind().dialect.name == "postgresql":
            # Released by the commit below; a second replica then finds nothing to do.
            await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": SEED_LOCK_ID})
        await seeder(name)(session, settings)
        await session.commit()
        log.debug("seeded %s", name)
