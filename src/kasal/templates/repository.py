"""SQL for prompt templates. Every statement is scoped to the caller's group."""

from __future__ import annotations

from kasal.core.repository import GroupScopedRepository
from kasal.templates.models import PromptTemplate


class TemplateRepository(GroupScopedRepository[PromptTemplate]):
    model = PromptTemplate

    async def by_key(self, key: str) -> PromptTemplate | None:
        return await self.first(self.select().where(PromptTemplate.key == key))

    async def overrides(self) -> dict[str, PromptTemplate]:
        return {row.key: row for row in await self.all(self.select())}
