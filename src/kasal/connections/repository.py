"""SQL for database connections. Every statement is scoped to the caller's group."""

from __future__ import annotations

from collections.abc import Collection

from kasal.connections.models import DatabaseConnection
from kasal.core.repository import GroupScopedRepository


class ConnectionRepository(GroupScopedRepository[DatabaseConnection]):
    model = DatabaseConnection

    async def named(self, name: str) -> DatabaseConnection | None:
        return await self.first(self.select().where(DatabaseConnection.name == name))

    async def of_names(self, names: Collection[str]) -> list[DatabaseConnection]:
        return await self.all(self.select().where(DatabaseConnection.name.in_(list(names))))

    async def names(self) -> set[str]:
        stmt = self.select().with_only_columns(DatabaseConnection.name)
        return set((await self.session.scalars(stmt)).all())
