"""The scheduler loop of an API process: every `KASAL_SCHEDULER_TICK_S`, fire what is due.

Each API replica runs one; the fire's claim (see `service`) makes them agree. The first
tick after a start handles what was missed while no process ran.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.periodic import Periodic
from kasal.executions.service import Runs
from kasal.realtime.bus import EventBus
from kasal.schedules import service


def scheduler(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    bus: EventBus,
    runs: Runs | None,
) -> Periodic:
    async def tick() -> None:
        await service.fire_due(
            sessions,
            bus,
            runs,
            utcnow(),
            settings.schedule_misfire_grace_s,
            settings.service_principal,
        )

    return Periodic("scheduler", settings.scheduler_tick_s, tick)
