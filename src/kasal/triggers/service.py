"""Triggers: created with a secret shown once, fired by that secret alone, revocable.

A fire is a user's POST /executions in all but the caller: it runs as the trigger's owner
with their role as it is now, its JSON body is the run's inputs, validated alike.
"""

from __future__ import annotations

import hmac
import math
import time
import uuid

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth import groups
from kasal.core.context import GroupContext, Role
from kasal.core.db import utcnow
from kasal.core.errors import Forbidden, NotFound, RateLimited, Unauthorized
from kasal.core.pagination import Page, PageParams
from kasal.core.security import hash_token, new_opaque_token
from kasal.core.service_principal import ServicePrincipal
from kasal.crews import service as crews
from kasal.executions import service as executions
from kasal.executions.schemas import ExecutionCreate, ExecutionRead
from kasal.realtime.bus import EventBus
from kasal.triggers.models import Trigger
from kasal.triggers.repository import FiringRepository, TriggerRepository
from kasal.triggers.schemas import TriggerCreate, TriggerCreated, TriggerRead

TOKEN_PREFIX = "kasal_trg_"  # noqa: S105 (a prefix, not a secret)
HINT_LENGTH = len(TOKEN_PREFIX) + 4


class FireLimiter:
    """Fires per trigger in a moving window, in this process's memory (per API replica)."""

    def __init__(self, limit: str) -> None:
        self._item = parse(limit)
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)

    def spend(self, trigger_id: uuid.UUID) -> None:
        key = str(trigger_id)
        if not self._limiter.hit(self._item, "trigger", key):
            reset_at = self._limiter.get_window_stats(self._item, "trigger", key).reset_time
            raise RateLimited(
                "trigger_rate_limited",
                f"This trigger fired too often (at most {self._item}); try again later",
                retry_after_s=max(math.ceil(reset_at - time.time()), 1),
            )

    def reset(self) -> None:
        self._storage.reset()


async def list_triggers(
    session: AsyncSession, ctx: GroupContext, params: PageParams, crew_id: uuid.UUID | None
) -> Page[TriggerRead]:
    repo = TriggerRepository(session, ctx.group_id)
    stmt = repo.select()
    if crew_id is not None:
        stmt = stmt.where(Trigger.crew_id == crew_id)
    rows, cursor = await repo.page(stmt, params, Trigger.created_at)
    return Page(items=[_read(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, trigger_id: uuid.UUID) -> TriggerRead:
    return _read(await _row(session, ctx, trigger_id))


async def create(session: AsyncSession, ctx: GroupContext, body: TriggerCreate) -> TriggerCreated:
    await crews.get(session, ctx, body.crew_id)  # one of the group's crews, or 404
    token = new_opaque_token(TOKEN_PREFIX)
    row = Trigger(
        crew_id=body.crew_id,
        name=body.name,
        token_hash=hash_token(token),
        token_hint=token[:HINT_LENGTH],
        owner_id=ctx.user_id,
    )
    await TriggerRepository(session, ctx.group_id).add(row)
    await session.commit()
    return TriggerCreated(**_read(row).model_dump(), token=token)


async def revoke(session: AsyncSession, ctx: GroupContext, trigger_id: uuid.UUID) -> TriggerRead:
    row = await _row(session, ctx, trigger_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.commit()
    return _read(row)


async def delete(session: AsyncSession, ctx: GroupContext, trigger_id: uuid.UUID) -> None:
    await TriggerRepository(session, ctx.group_id).delete(await _row(session, ctx, trigger_id))
    await session.commit()


async def authenticate(session: AsyncSession, trigger_id: uuid.UUID, token: str | None) -> Trigger:
    """The trigger whose secret `token` is. Every wrong secret gets the same answer, whether
    the trigger exists or not; only the holder of the right one learns that it was revoked."""
    row = await FiringRepository(session).get(trigger_id)
    if row is None or not token or not hmac.compare_digest(row.token_hash, hash_token(token)):
        raise Unauthorized("invalid_trigger_token", "This is not the secret of this trigger")
    if row.revoked_at is not None:
        raise Unauthorized("trigger_revoked", "This trigger was revoked")
    return row


async def fire(
    session: AsyncSession,
    row: Trigger,
    inputs: dict[str, str],
    limiter: FireLimiter,
    bus: EventBus,
    runs: executions.Runs | None,
    principal: ServicePrincipal | None = None,
) -> ExecutionRead:
    """Start a run of an authenticated trigger, as its owner. No user is present: in a
    Databricks App the run acts on the workspace as the app's service principal."""
    limiter.spend(row.id)
    acting = await groups.acting_as(session, row.owner_id, row.group_id, Role.operator)
    if isinstance(acting, str):
        raise Forbidden("trigger_owner_cannot_run", f"The trigger cannot start runs: {acting}")
    row.last_fired_at = utcnow()
    body = ExecutionCreate(crew_id=row.crew_id, inputs=inputs)
    token = await principal.token() if principal else None
    return await executions.start(session, acting, body, bus, runs, databricks_token=token)


async def _row(session: AsyncSession, ctx: GroupContext, trigger_id: uuid.UUID) -> Trigger:
    row = await TriggerRepository(session, ctx.group_id).get(trigger_id)
    if row is None:
        raise NotFound("trigger_not_found", "No such trigger")
    return row


def _read(row: Trigger) -> TriggerRead:
    return TriggerRead(
        id=row.id,
        crew_id=row.crew_id,
        name=row.name,
        token_hint=row.token_hint,
        owner_id=row.owner_id,
        fire_url=f"/api/v1/triggers/{row.id}/fire",
        revoked_at=row.revoked_at,
        last_fired_at=row.last_fired_at,
        created_at=row.created_at,
    )
