"""SQL for per-group tool switches."""

from __future__ import annotations

from kasal.core.repository import GroupScopedRepository
from kasal.tools.models import GroupToolSetting


class ToolSettingRepository(GroupScopedRepository[GroupToolSetting]):
    model = GroupToolSetting

    async def by_tool(self, tool_id: str) -> GroupToolSetting | None:
        return await self.first(self.select().where(GroupToolSetting.tool_id == tool_id))

    async def states(self) -> dict[str, bool]:
        return {row.tool_id: row.enabled for row in await self.all(self.select())}
