"""HTTP endpoints of schedules. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.errors import InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.schedules import service
from kasal.schedules.schemas import FireRead, ScheduleCreate, ScheduleRead, ScheduleUpdate

router = APIRouter(prefix="/schedules", tags=["schedules"])

_WRITES = error_responses(InvalidInput)


@router.get("")
async def list_schedules(
    ctx: GroupCtx, session: SessionDep, page: PageQuery, crew_id: uuid.UUID | None = None
) -> Page[ScheduleRead]:
    return await service.list_schedules(session, ctx, page, crew_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_WRITES)
async def create_schedule(
    body: ScheduleCreate, ctx: EditorCtx, session: SessionDep
) -> ScheduleRead:
    return await service.create(session, ctx, body)


@router.get("/{schedule_id}")
async def get_schedule(schedule_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> ScheduleRead:
    return await service.get(session, ctx, schedule_id)


@router.patch("/{schedule_id}", responses=_WRITES)
async def update_schedule(
    schedule_id: uuid.UUID, body: ScheduleUpdate, ctx: EditorCtx, session: SessionDep
) -> ScheduleRead:
    return await service.update(session, ctx, schedule_id, body)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_schedule(schedule_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, schedule_id)


@router.get("/{schedule_id}/fires")
async def list_fires(
    schedule_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[FireRead]:
    """Every fire, newest first: the run it started, or why it was skipped."""
    return await service.list_fires(session, ctx, schedule_id, page)
