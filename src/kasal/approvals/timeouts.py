"""The timeout loop of an API process: every `KASAL_APPROVAL_TICK_S`, the questions past
their timeout are answered with their `on_timeout`. Each replica runs one; the run's
compare-and-set from `waiting` makes exactly one answer count."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.approvals import service
from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.periodic import Periodic
from kasal.executions.service import Runs
from kasal.realtime.bus import EventBus


def timeouts(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    bus: EventBus,
    runs: Runs | None,
) -> Periodic:
    async def tick() -> None:
        await service.time_out_due(sessions, bus, runs, utcnow())

    return Periodic("approval-timeouts", settings.approval_tick_s, tick)
