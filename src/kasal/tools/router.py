"""HTTP endpoints of the tools catalog. Thin: parse, call the service, answer."""

from __future__ import annotations

from fastapi import APIRouter

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.pagination import Page
from kasal.tools import service
from kasal.tools.schemas import ToolRead, ToolUpdate

router = APIRouter(prefix="/tools", tags=["tools"])


@router.get("")
async def list_tools(ctx: GroupCtx, session: SessionDep, token: DatabricksToken) -> Page[ToolRead]:
    return await service.list_tools(session, ctx, token)


@router.get("/{tool_id}")
async def get_tool(
    tool_id: str, ctx: GroupCtx, session: SessionDep, token: DatabricksToken
) -> ToolRead:
    return await service.get(session, ctx, tool_id, token)


@router.patch("/{tool_id}")
async def update_tool(
    tool_id: str, body: ToolUpdate, ctx: EditorCtx, session: SessionDep, token: DatabricksToken
) -> ToolRead:
    return await service.update(session, ctx, tool_id, body, token)
