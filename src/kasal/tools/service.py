"""The built-in tools as a group sees them: the code catalog plus the group's switches.

The catalog is code (`kasal.engine.tools.catalog`, importable without crewai); only
the per-group enabled flag is stored, so there is nothing to seed.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.context import GroupContext
from kasal.core.errors import NotFound
from kasal.core.pagination import Page
from kasal.engine.tools.catalog import CATALOG, ToolInfo
from kasal.secrets import service as secrets
from kasal.tools.models import GroupToolSetting
from kasal.tools.repository import ToolSettingRepository
from kasal.tools.schemas import ToolCredential, ToolRead, ToolUpdate


async def tool_states(session: AsyncSession, ctx: GroupContext) -> dict[str, bool]:
    """Built-in tool id → enabled for the group (enabled unless the group turned it off)."""
    stored = await ToolSettingRepository(session, ctx.group_id).states()
    return {tool_id: stored.get(tool_id, True) for tool_id in CATALOG}


async def list_tools(
    session: AsyncSession, ctx: GroupContext, databricks_token: str | None = None
) -> Page[ToolRead]:
    """In Databricks Apps mode the request's forwarded token counts as the databricks key."""
    states = await tool_states(session, ctx)
    keys = await secrets.tool_key_providers(session, ctx.group_id, databricks_token)
    return Page(items=[_read(info, states[info.id], keys) for info in CATALOG.values()])


async def get(
    session: AsyncSession, ctx: GroupContext, tool_id: str, databricks_token: str | None = None
) -> ToolRead:
    info = _info(tool_id)
    keys = await secrets.tool_key_providers(session, ctx.group_id, databricks_token)
    return _read(info, (await tool_states(session, ctx))[info.id], keys)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    tool_id: str,
    body: ToolUpdate,
    databricks_token: str | None = None,
) -> ToolRead:
    info = _info(tool_id)
    repo = ToolSettingRepository(session, ctx.group_id)
    setting = await repo.by_tool(tool_id)
    if setting is None:
        try:
            await repo.add(GroupToolSetting(tool_id=tool_id, enabled=body.enabled))
        except IntegrityError:  # a concurrent request created it: ours is the later word
            await session.rollback()
            setting = await repo.by_tool(tool_id)
    if setting is not None:
        setting.enabled = body.enabled
    await session.commit()
    keys = await secrets.tool_key_providers(session, ctx.group_id, databricks_token)
    return _read(info, body.enabled, keys)


def _info(tool_id: str) -> ToolInfo:
    info = CATALOG.get(tool_id)
    if info is None:
        raise NotFound("tool_not_found", f"No built-in tool {tool_id!r}")
    return info


def _read(info: ToolInfo, enabled: bool, keys: set[str]) -> ToolRead:
    credentials = [ToolCredential(provider=p, configured=p in keys) for p in info.credentials]
    return ToolRead(**info.describe(), credentials=credentials, enabled=enabled)
