"""The five operations of a simple group-owned document, written once.

A domain whose rows need nothing beyond list, get, create, update and delete (the agent
and task libraries) configures a `GroupScopedCrud` instead of writing them again.
"""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.context import GroupContext
from kasal.core.db import Base
from kasal.core.errors import NotFound
from kasal.core.pagination import Page, PageParams
from kasal.core.repository import SearchableRepository

M = TypeVar("M", bound=Base)
R = TypeVar("R", bound=BaseModel)


class GroupScopedCrud(Generic[M, R]):
    def __init__(self, repository: type[SearchableRepository[M]], read: type[R], noun: str):
        self._repository = repository
        self._read = read
        self._noun = noun

    async def list(
        self,
        session: AsyncSession,
        ctx: GroupContext,
        params: PageParams,
        q: str | None,
        sort: str,
    ) -> Page[R]:
        rows, cursor = await self._repository(session, ctx.group_id).search(params, q, sort)
        return Page(items=[self._read.model_validate(row) for row in rows], next_cursor=cursor)

    async def get(self, session: AsyncSession, ctx: GroupContext, row_id: uuid.UUID) -> R:
        return self._read.model_validate(await self._row(session, ctx, row_id))

    async def create(self, session: AsyncSession, ctx: GroupContext, body: BaseModel) -> R:
        repository = self._repository(session, ctx.group_id)
        row = await repository.add(repository.model(**body.model_dump(mode="json")))
        await session.commit()
        return self._read.model_validate(row)

    async def update(
        self, session: AsyncSession, ctx: GroupContext, row_id: uuid.UUID, body: BaseModel
    ) -> R:
        row = await self._row(session, ctx, row_id)
        for name, value in body.model_dump(mode="json").items():
            setattr(row, name, value)
        await session.commit()
        return self._read.model_validate(row)

    async def delete(self, session: AsyncSession, ctx: GroupContext, row_id: uuid.UUID) -> None:
        row = await self._row(session, ctx, row_id)
        await self._repository(session, ctx.group_id).delete(row)
        await session.commit()

    async def _row(self, session: AsyncSession, ctx: GroupContext, row_id: uuid.UUID) -> Any:
        row = await self._repository(session, ctx.group_id).get(row_id)
        if row is None:
            raise NotFound(f"{self._noun}_not_found", f"No such {self._noun}")
        return row
