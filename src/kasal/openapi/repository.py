"""SQL for OpenAPI sources. Every statement is scoped to the caller's group."""

from __future__ import annotations

from collections.abc import Collection

from kasal.core.repository import GroupScopedRepository
from kasal.openapi.models import OpenApiSource


def name_key(name: str) -> str:
    return name.lower()


class OpenApiSourceRepository(GroupScopedRepository[OpenApiSource]):
    model = OpenApiSource

    async def named(self, name: str) -> OpenApiSource | None:
        return await self.first(self.select().where(OpenApiSource.name_key == name_key(name)))

    async def every(self) -> list[OpenApiSource]:
        return await self.all(self.select())

    async def enabled_named(self, names: Collection[str]) -> list[OpenApiSource]:
        """The enabled sources of these exact names (as tool references spell them)."""
        stmt = self.select().where(
            OpenApiSource.name.in_(list(names)), OpenApiSource.enabled.is_(True)
        )
        return await self.all(stmt)
