"""SQL for MCP servers. Every statement is scoped to the caller's group."""

from __future__ import annotations

from collections.abc import Collection

from kasal.core.repository import GroupScopedRepository
from kasal.mcp.models import McpServer


class McpServerRepository(GroupScopedRepository[McpServer]):
    model = McpServer

    async def named(self, name: str) -> McpServer | None:
        return await self.first(self.select().where(McpServer.name == name))

    async def of_names(self, names: Collection[str]) -> list[McpServer]:
        return await self.all(self.select().where(McpServer.name.in_(list(names))))

    async def every(self) -> list[McpServer]:
        return await self.all(self.select())
