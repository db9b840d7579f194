"""SQL for API keys, and for every encrypted column at once (key rotation)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from kasal.core.repository import GroupScopedRepository
from kasal.secrets.models import ApiKey


class ApiKeyRepository(GroupScopedRepository[ApiKey]):
    model = ApiKey

    async def by_provider(self, provider: str) -> ApiKey | None:
        return await self.first(self.select().where(ApiKey.provider == provider))

    async def of_providers(self, providers: Collection[str]) -> list[ApiKey]:
        return await self.all(self.select().where(ApiKey.provider.in_(list(providers))))

    async def providers(self) -> set[str]:
        stmt = select(ApiKey.provider).where(ApiKey.group_id == self.group_id)
        return set((await self.session.scalars(stmt)).all())


class EncryptedColumnRepository:
    """Every group's ciphertexts in one column: an instance-wide operation, for rotation only."""

    def __init__(self, session: AsyncSession, column: InstrumentedAttribute[str]) -> None:
        self.session = session
        self.column = column
        self.id_column: Any = column.class_.id

    async def values(self) -> list[tuple[uuid.UUID, str]]:
        stmt = select(self.id_column, self.column).where(self.column.is_not(None))
        rows = await self.session.execute(stmt)
        return [(row[0], row[1]) for row in rows]

    async def set_value(self, id_: uuid.UUID, value: str) -> None:
        await self.session.execute(
            update(self.column.class_).where(self.id_column == id_).values({self.column: value})
        )
