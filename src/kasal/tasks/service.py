"""The task library. A crew copies a library task in (with a key of its own); editing
the library later never changes a crew."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.auth.groups import GroupContext
from kasal.core.errors import NotFound
from kasal.core.pagination import Page, PageParams
from kasal.tasks.models import LibraryTask
from kasal.tasks.repository import TaskRepository, TaskSort
from kasal.tasks.schemas import TaskCreate, TaskRead, TaskUpdate


async def list_tasks(
    session: AsyncSession,
    ctx: GroupContext,
    params: PageParams,
    q: str | None = None,
    sort: TaskSort = "name",
) -> Page[TaskRead]:
    rows, cursor = await TaskRepository(session, ctx.group_id).search(params, q, sort)
    return Page(items=[TaskRead.model_validate(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, task_id: uuid.UUID) -> TaskRead:
    return TaskRead.model_validate(await _task(session, ctx, task_id))


async def create(session: AsyncSession, ctx: GroupContext, body: TaskCreate) -> TaskRead:
    task = await TaskRepository(session, ctx.group_id).add(
        LibraryTask(**body.model_dump(mode="json"))
    )
    await session.commit()
    return TaskRead.model_validate(task)


async def update(
    session: AsyncSession, ctx: GroupContext, task_id: uuid.UUID, body: TaskUpdate
) -> TaskRead:
    task = await _task(session, ctx, task_id)
    for name, value in body.model_dump(mode="json").items():
        setattr(task, name, value)
    await session.commit()
    return TaskRead.model_validate(task)


async def delete(session: AsyncSession, ctx: GroupContext, task_id: uuid.UUID) -> None:
    await TaskRepository(session, ctx.group_id).delete(await _task(session, ctx, task_id))
    await session.commit()


async def _task(session: AsyncSession, ctx: GroupContext, task_id: uuid.UUID) -> LibraryTask:
    task = await TaskRepository(session, ctx.group_id).get(task_id)
    if task is None:
        raise NotFound("task_not_found", "No such task")
    return task
