"""Schedules: their rules, and firing the due ones exactly once across every API process.

A fire is claimed by inserting its `ScheduleFire` row in the transaction that inserts the
run (`executions.service.start` commits both): two processes firing the same schedule at
the same time collide on the row's unique (schedule, time), and the loser starts nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.auth import groups
from kasal.core.context import GroupContext, Role
from kasal.core.db import utcnow
from kasal.core.errors import KasalError, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.core.service_principal import ServicePrincipal
from kasal.crews import service as crews
from kasal.executions import service as executions
from kasal.executions.schemas import ExecutionCreate
from kasal.realtime.bus import EventBus
from kasal.schedules import cron
from kasal.schedules.models import FireOutcome, MissedPolicy, Schedule, ScheduleFire
from kasal.schedules.repository import FireRepository, ScheduleRepository, SchedulerRepository
from kasal.schedules.schemas import FireRead, ScheduleCreate, ScheduleRead, ScheduleUpdate

log = logging.getLogger(__name__)

NEXT_SHOWN = 5


async def list_schedules(
    session: AsyncSession, ctx: GroupContext, params: PageParams, crew_id: uuid.UUID | None
) -> Page[ScheduleRead]:
    repo = ScheduleRepository(session, ctx.group_id)
    stmt = repo.select()
    if crew_id is not None:
        stmt = stmt.where(Schedule.crew_id == crew_id)
    rows, cursor = await repo.page(stmt, params, Schedule.created_at)
    return Page(items=[await _read(session, row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, schedule_id: uuid.UUID) -> ScheduleRead:
    return await _read(session, await _row(session, ctx, schedule_id))


async def create(session: AsyncSession, ctx: GroupContext, body: ScheduleCreate) -> ScheduleRead:
    cron.check(body.cron, body.timezone)
    await crews.get(session, ctx, body.crew_id)  # one of the group's crews, or 404
    row = Schedule(**body.model_dump(), owner_id=ctx.user_id)
    _plan(row, utcnow())
    await ScheduleRepository(session, ctx.group_id).add(row)
    await session.commit()
    return await _read(session, row)


async def update(
    session: AsyncSession, ctx: GroupContext, schedule_id: uuid.UUID, body: ScheduleUpdate
) -> ScheduleRead:
    """The editor becomes the owner: the runs start as whoever last said what they do."""
    row = await _row(session, ctx, schedule_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    cron.check(changes.get("cron", row.cron), changes.get("timezone", row.timezone))
    timing = {"cron", "timezone", "enabled"} & changes.keys()
    for name, value in changes.items():
        setattr(row, name, value)
    row.owner_id = ctx.user_id
    if timing:
        _plan(row, utcnow())  # from now on: fires a disabled schedule skipped are not missed
    await session.commit()
    return await _read(session, row)


async def delete(session: AsyncSession, ctx: GroupContext, schedule_id: uuid.UUID) -> None:
    await ScheduleRepository(session, ctx.group_id).delete(await _row(session, ctx, schedule_id))
    await session.commit()


async def list_fires(
    session: AsyncSession, ctx: GroupContext, schedule_id: uuid.UUID, params: PageParams
) -> Page[FireRead]:
    await _row(session, ctx, schedule_id)
    repo = FireRepository(session)
    rows, cursor = await repo.page(
        repo.of(schedule_id), params, ScheduleFire.fire_at, descending=True
    )
    return Page(items=[_fire(row) for row in rows], next_cursor=cursor)


# Firing


async def fire_due(
    sessions: async_sessionmaker[AsyncSession],
    bus: EventBus,
    runs: executions.Runs | None,
    now: datetime,
    grace_s: float,
    principal: ServicePrincipal | None = None,
) -> None:
    """Handle every fire due by `now`. One later than `grace_s` was missed (no process was
    running): the schedule's policy says whether it still runs, once for all of them.

    No user is present: in a Databricks App the runs act on the workspace as the app's
    service principal (`principal`)."""
    async with sessions() as session:
        schedules = await SchedulerRepository(session).due(now)
    for schedule in schedules:
        try:
            firing = Firing(sessions, bus, runs, schedule, principal)
            await _handle(firing, now, timedelta(seconds=grace_s))
        except Exception:  # one schedule's failure must not stop the others' fires
            log.exception("schedule %s: its due fires failed; trying again next tick", schedule.id)


async def _handle(firing: Firing, now: datetime, grace: timedelta) -> None:
    schedule = firing.schedule
    assert schedule.next_fire_at is not None  # noqa: S101 (due() selects only those)
    times, upcoming = cron.due(schedule.cron, schedule.timezone, schedule.next_fire_at, now)
    missed = [t for t in times if now - t > grace]
    current = [t for t in times if now - t <= grace]
    if missed:
        await firing.missed(missed, run=schedule.missed == MissedPolicy.run_once and not current)
    if current:
        await firing.fire(current[-1])
    async with firing.sessions() as session:
        await SchedulerRepository(session).advance(schedule.id, schedule.next_fire_at, upcoming)
        await session.commit()


class Firing:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        runs: executions.Runs | None,
        schedule: Schedule,
        principal: ServicePrincipal | None = None,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.runs = runs
        self.schedule = schedule
        self.principal = principal

    async def missed(self, times: list[datetime], *, run: bool) -> None:
        count = f"{len(times)} fire{'s' if len(times) > 1 else ''}"
        span = f"{times[0].isoformat()} to {times[-1].isoformat()}" if len(times) > 1 else ""
        when = f" ({span})" if span else f" at {times[0].isoformat()}"
        if run:
            await self.fire(
                times[-1], f"Run late, once for {count} missed while Kasal was down{when}"
            )
        else:
            reason = f"Skipped {count} missed while Kasal was down{when}, as the schedule says"
            await self._record_skip(times[-1], reason)

    async def fire(self, fire_at: datetime, note: str | None = None) -> None:
        async with self.sessions() as session:
            fire = ScheduleFire(
                schedule_id=self.schedule.id,
                fire_at=fire_at,
                outcome=FireOutcome.started,
                reason=note,
            )
            session.add(fire)
            try:
                await session.flush()  # the claim: another process's row makes this fail
            except IntegrityError:
                return
            acting = await groups.acting_as(
                session, self.schedule.owner_id, self.schedule.group_id, Role.operator
            )
            if isinstance(acting, str):
                await session.rollback()
                await self._record_skip(fire_at, f"Skipped: {acting}")
                return
            body = ExecutionCreate(crew_id=self.schedule.crew_id, inputs=self.schedule.inputs)
            try:
                token = await self.principal.token() if self.principal else None
                run = await executions.start(
                    session, acting, body, self.bus, self.runs, databricks_token=token
                )
            except KasalError as exc:
                await session.rollback()
                await self._record_skip(fire_at, f"Skipped: {exc.message}")
                return
            fire.execution_id = run.id
            await session.commit()

    async def _record_skip(self, fire_at: datetime, reason: str) -> None:
        log.info("schedule %s: %s", self.schedule.id, reason)
        async with self.sessions() as session:
            session.add(
                ScheduleFire(
                    schedule_id=self.schedule.id,
                    fire_at=fire_at,
                    outcome=FireOutcome.skipped,
                    reason=reason,
                )
            )
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # another process recorded this fire first


def _plan(row: Schedule, now: datetime) -> None:
    row.next_fire_at = cron.next_after(row.cron, row.timezone, now)[0] if row.enabled else None


async def _row(session: AsyncSession, ctx: GroupContext, schedule_id: uuid.UUID) -> Schedule:
    row = await ScheduleRepository(session, ctx.group_id).get(schedule_id)
    if row is None:
        raise NotFound("schedule_not_found", "No such schedule")
    return row


async def _read(session: AsyncSession, row: Schedule) -> ScheduleRead:
    last = await FireRepository(session).last_of(row.id)
    upcoming = (
        cron.next_after(
            row.cron, row.timezone, row.next_fire_at - timedelta(microseconds=1), NEXT_SHOWN
        )
        if row.next_fire_at is not None
        else []
    )
    return ScheduleRead(
        id=row.id,
        crew_id=row.crew_id,
        name=row.name,
        cron=row.cron,
        timezone=row.timezone,
        inputs=row.inputs,
        enabled=row.enabled,
        missed=row.missed,
        owner_id=row.owner_id,
        next_fire_times=upcoming,
        last_fire=_fire(last) if last is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _fire(row: ScheduleFire) -> FireRead:
    return FireRead(
        id=row.id,
        fire_at=row.fire_at,
        outcome=row.outcome,
        execution_id=row.execution_id,
        reason=row.reason,
        created_at=row.created_at,
    )
