"""SQL for crews and their versions. Every statement is scoped to the caller's group."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, update

from kasal.auth.models import User
from kasal.core.pagination import PageParams
from kasal.core.repository import GroupScopedRepository
from kasal.crews.models import Crew, CrewVersion
from kasal.crews.schemas import CrewSort

_SORT_COLUMNS: dict[str, Any] = {"name": Crew.name_key, "updated_at": Crew.updated_at}


class CrewRepository(GroupScopedRepository[Crew]):
    model = Crew

    async def named(self, name: str) -> Crew | None:
        return await self.first(self.select().where(Crew.name_key == name_key(name)))

    async def names_starting(self, prefix: str) -> set[str]:
        """The (lower-cased) names in use that start with `prefix`, to pick a free one."""
        stmt = (
            self.select()
            .with_only_columns(Crew.name_key)
            .where(Crew.name_key.startswith(name_key(prefix), autoescape=True))
        )
        return set((await self.session.scalars(stmt)).all())

    async def search(
        self, params: PageParams, q: str | None, sort: CrewSort
    ) -> tuple[list[Crew], str | None]:
        stmt = self.select()
        if q:
            stmt = stmt.where(Crew.name_key.contains(name_key(q), autoescape=True))
        column = _SORT_COLUMNS[sort.lstrip("-")]
        return await self.page(stmt, params, column, descending=sort.startswith("-"))

    async def save_if_version(
        self, crew_id: uuid.UUID, expected: int, values: dict[str, Any], now: datetime
    ) -> bool:
        """Compare-and-set: write only if nobody saved since `expected`. Race-safe on
        every backend, because the check and the write are one UPDATE statement."""
        stmt = (
            update(Crew)
            .where(Crew.id == crew_id, Crew.group_id == self.group_id, Crew.version == expected)
            .values(**values, version=expected + 1, updated_at=now)
        )
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return result.rowcount == 1


class CrewVersionRepository(GroupScopedRepository[CrewVersion]):
    model = CrewVersion

    def of_crew(self, crew_id: uuid.UUID) -> Select[CrewVersion]:
        return self.select().where(CrewVersion.crew_id == crew_id)

    async def number(self, crew_id: uuid.UUID, version: int) -> CrewVersion | None:
        return await self.first(self.of_crew(crew_id).where(CrewVersion.version == version))

    async def latest(self, crew_id: uuid.UUID) -> CrewVersion | None:
        return await self.first(self.of_crew(crew_id).order_by(CrewVersion.version.desc()))

    async def history(
        self, crew_id: uuid.UUID, params: PageParams
    ) -> tuple[list[CrewVersion], str | None]:
        return await self.page(self.of_crew(crew_id), params, CrewVersion.version, descending=True)

    async def author_email(self, user_id: uuid.UUID) -> str | None:
        """The acting user is already in the session (authentication loaded them)."""
        user = await self.session.get(User, user_id)
        return user.email if user is not None else None


def name_key(name: str) -> str:
    return name.strip().casefold()
