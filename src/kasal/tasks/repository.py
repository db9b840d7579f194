"""SQL for library tasks, scoped to the caller's group."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func

from kasal.core.pagination import PageParams
from kasal.core.repository import GroupScopedRepository
from kasal.tasks.models import LibraryTask

TaskSort = Literal["name", "-name", "updated_at", "-updated_at"]
_SORT_COLUMNS: dict[str, Any] = {"name": LibraryTask.name, "updated_at": LibraryTask.updated_at}


class TaskRepository(GroupScopedRepository[LibraryTask]):
    model = LibraryTask

    async def search(
        self, params: PageParams, q: str | None, sort: TaskSort
    ) -> tuple[list[LibraryTask], str | None]:
        stmt = self.select()
        if q:
            stmt = stmt.where(func.lower(LibraryTask.name).contains(q.lower(), autoescape=True))
        column = _SORT_COLUMNS[sort.lstrip("-")]
        return await self.page(stmt, params, column, descending=sort.startswith("-"))
