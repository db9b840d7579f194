"""SQL for library tasks, scoped to the caller's group."""

from __future__ import annotations

from typing import Literal

from kasal.core.repository import SearchableRepository
from kasal.tasks.models import LibraryTask

TaskSort = Literal["name", "-name", "updated_at", "-updated_at"]


class TaskRepository(SearchableRepository[LibraryTask]):
    model = LibraryTask
    search_column = "name"
    sort_columns = frozenset({"name", "updated_at"})
