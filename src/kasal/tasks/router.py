"""Library task endpoints. Viewers and operators read; editors and admins change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.pagination import Page, PageQuery
from kasal.tasks import service
from kasal.tasks.repository import TaskSort
from kasal.tasks.schemas import TaskCreate, TaskRead, TaskUpdate

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("")
async def list_tasks(
    ctx: GroupCtx,
    session: SessionDep,
    params: PageQuery,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    sort: TaskSort = "name",
) -> Page[TaskRead]:
    return await service.list_tasks(session, ctx, params, q, sort)


@router.post("", status_code=201)
async def create_task(body: TaskCreate, ctx: EditorCtx, session: SessionDep) -> TaskRead:
    return await service.create(session, ctx, body)


@router.get("/{task_id}")
async def get_task(task_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> TaskRead:
    return await service.get(session, ctx, task_id)


@router.put("/{task_id}")
async def update_task(
    task_id: uuid.UUID, body: TaskUpdate, ctx: EditorCtx, session: SessionDep
) -> TaskRead:
    return await service.update(session, ctx, task_id, body)


@router.delete("/{task_id}", status_code=204)
async def delete_task(task_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, task_id)
