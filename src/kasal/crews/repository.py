"""SQL for crews and their versions. Every statement is scoped to the caller's group; the
versioning itself (compare-and-set saves, version history) is `core.versioning`'s."""

from __future__ import annotations

import uuid
from typing import Any

from kasal.core.pagination import PageParams
from kasal.core.versioning import HeadRepository, VersionRepository, name_key
from kasal.crews.models import Crew, CrewVersion
from kasal.crews.schemas import CrewSort

__all__ = ["CrewRepository", "CrewVersionRepository", "name_key"]

_SORT_COLUMNS: dict[str, Any] = {"name": Crew.name_key, "updated_at": Crew.updated_at}


class CrewRepository(HeadRepository[Crew]):
    model = Crew

    async def search(
        self, params: PageParams, q: str | None, sort: CrewSort
    ) -> tuple[list[Crew], str | None]:
        stmt = self.select()
        if q:
            stmt = stmt.where(Crew.name_key.contains(name_key(q), autoescape=True))
        column = _SORT_COLUMNS[sort.lstrip("-")]
        return await self.page(stmt, params, column, descending=sort.startswith("-"))

    async def versions(self) -> dict[uuid.UUID, int]:
        stmt = self.select().with_only_columns(Crew.id, Crew.version)
        return {row.id: row.version for row in (await self.session.execute(stmt)).all()}


class CrewVersionRepository(VersionRepository[CrewVersion]):
    model = CrewVersion
    parent = "crew_id"
