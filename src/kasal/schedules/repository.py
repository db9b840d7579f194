"""SQL for schedules and their fires."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, update

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.schedules.models import Schedule, ScheduleFire


class ScheduleRepository(GroupScopedRepository[Schedule]):
    model = Schedule


class FireRepository(Repository[ScheduleFire]):
    """Fires are reached through their schedule, which was found in the caller's group."""

    model = ScheduleFire

    def of(self, schedule_id: uuid.UUID) -> Select[ScheduleFire]:
        return self.select().where(ScheduleFire.schedule_id == schedule_id)

    async def last_of(self, schedule_id: uuid.UUID) -> ScheduleFire | None:
        return await self.first(self.of(schedule_id).order_by(ScheduleFire.fire_at.desc()))


class SchedulerRepository(Repository[Schedule]):
    """What the scheduler does across groups."""

    model = Schedule

    async def due(self, now: datetime) -> list[Schedule]:
        stmt = self.select().where(Schedule.enabled, Schedule.next_fire_at <= now)
        return await self.all(stmt.order_by(Schedule.next_fire_at))

    async def advance(self, schedule_id: uuid.UUID, seen: datetime, then: datetime) -> None:
        """Compare-and-set: every process that handled `seen` moves on to the same `then`."""
        await self.session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id, Schedule.next_fire_at == seen)
            .values(next_fire_at=then)
        )
