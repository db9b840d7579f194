"""SQL for the model catalog."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.llms.models import GroupLLMModel, LLMModel


class GlobalModelRepository(Repository[LLMModel]):
    model = LLMModel

    async def by_key(self, key: str) -> LLMModel | None:
        return await self.first(self.select().where(LLMModel.key == key))

    async def all_models(self, keys: Collection[str] | None = None) -> list[LLMModel]:
        """Every model, or only those of `keys` (a run's, resolved without the rest)."""
        stmt = self.select().order_by(LLMModel.key)
        return await self.all(stmt if keys is None else stmt.where(LLMModel.key.in_(keys)))

    async def delete_overrides(self, key: str) -> None:
        """Every group's overrides of a global model that is going away (custom ones stay)."""
        await self.session.execute(
            delete(GroupLLMModel).where(
                GroupLLMModel.key == key, GroupLLMModel.is_custom.is_(False)
            )
        )


class GroupModelRepository(GroupScopedRepository[GroupLLMModel]):
    model = GroupLLMModel

    async def by_key(self, key: str) -> GroupLLMModel | None:
        return await self.first(self.select().where(GroupLLMModel.key == key))

    async def all_rows(self, keys: Collection[str] | None = None) -> list[GroupLLMModel]:
        stmt = self.select()
        return await self.all(stmt if keys is None else stmt.where(GroupLLMModel.key.in_(keys)))
