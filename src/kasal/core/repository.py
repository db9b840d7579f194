"""Repositories: SQL only. They flush; services own the transaction and commit."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.db import Base
from kasal.core.pagination import PageParams, Sort, paginate

M = TypeVar("M", bound=Base)


class _GroupOwned(Protocol):
    group_id: uuid.UUID


class Repository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _table(self) -> Any:
        return self.model.__table__

    def select(self) -> Select[M]:
        return select(self.model)

    async def get(self, id_: uuid.UUID) -> M | None:
        return await self.first(self.select().where(self._table.c.id == id_))

    async def first(self, stmt: Select[M]) -> M | None:
        return (await self.session.scalars(stmt.limit(1))).first()

    async def all(self, stmt: Select[M]) -> list[M]:
        return list((await self.session.scalars(stmt)).all())

    async def page(
        self,
        stmt: Select[M],
        params: PageParams,
        sort_column: Any,
        *,
        descending: bool = False,
    ) -> tuple[list[M], str | None]:
        sort = Sort(sort_column, self._table.c.id, descending)
        return await paginate(self.session, stmt, sort, params)

    async def add(self, obj: M) -> M:
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def delete(self, obj: M) -> None:
        await self.session.delete(obj)
        await self.session.flush()


class GroupScopedRepository(Repository[M]):
    """Tenant data. Every statement is filtered to the caller's group; inserts are stamped.

    A row of another group is simply not found, so its existence never leaks.
    """

    def __init__(self, session: AsyncSession, group_id: uuid.UUID) -> None:
        super().__init__(session)
        self.group_id = group_id

    def select(self) -> Select[M]:
        return super().select().where(self._table.c.group_id == self.group_id)

    async def add(self, obj: M) -> M:
        cast(_GroupOwned, obj).group_id = self.group_id
        return await super().add(obj)


class SearchableRepository(GroupScopedRepository[M]):
    """Tenant data a user browses: search by part of one text column, a choice of sorts."""

    search_column: ClassVar[str]
    sort_columns: ClassVar[frozenset[str]]  # each also sorts descending as "-name"

    async def search(
        self, params: PageParams, q: str | None, sort: str
    ) -> tuple[list[M], str | None]:
        stmt = self.select()
        if q:
            column = getattr(self.model, self.search_column)
            stmt = stmt.where(func.lower(column).contains(q.lower(), autoescape=True))
        name = sort.lstrip("-")
        if name not in self.sort_columns:
            raise ValueError(f"cannot sort by {sort!r}")
        ordered_by = getattr(self.model, name)
        return await self.page(stmt, params, ordered_by, descending=sort.startswith("-"))
