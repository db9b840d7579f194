"""SQL for library agents, scoped to the caller's group."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func

from kasal.agents.models import LibraryAgent
from kasal.core.pagination import PageParams
from kasal.core.repository import GroupScopedRepository

AgentSort = Literal["role", "-role", "updated_at", "-updated_at"]
_SORT_COLUMNS: dict[str, Any] = {"role": LibraryAgent.role, "updated_at": LibraryAgent.updated_at}


class AgentRepository(GroupScopedRepository[LibraryAgent]):
    model = LibraryAgent

    async def search(
        self, params: PageParams, q: str | None, sort: AgentSort
    ) -> tuple[list[LibraryAgent], str | None]:
        stmt = self.select()
        if q:
            stmt = stmt.where(func.lower(LibraryAgent.role).contains(q.lower(), autoescape=True))
        column = _SORT_COLUMNS[sort.lstrip("-")]
        return await self.page(stmt, params, column, descending=sort.startswith("-"))
