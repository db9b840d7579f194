"""SQL for library agents, scoped to the caller's group."""

from __future__ import annotations

from typing import Literal

from kasal.agents.models import LibraryAgent
from kasal.core.repository import SearchableRepository

AgentSort = Literal["role", "-role", "updated_at", "-updated_at"]


class AgentRepository(SearchableRepository[LibraryAgent]):
    model = LibraryAgent
    search_column = "role"
    sort_columns = frozenset({"role", "updated_at"})
