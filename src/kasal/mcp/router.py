"""HTTP endpoints of MCP servers. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.mcp import service
from kasal.mcp.schemas import McpServerCreate, McpServerRead, McpServerTools, McpServerUpdate

router = APIRouter(prefix="/mcp-servers", tags=["mcp-servers"])


@router.get("")
async def list_mcp_servers(
    ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[McpServerRead]:
    return await service.list_servers(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_mcp_server(
    body: McpServerCreate, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> McpServerRead:
    return await service.create(session, ctx, settings, body)


@router.get("/{server_id}")
async def get_mcp_server(server_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> McpServerRead:
    return await service.get(session, ctx, server_id)


@router.patch("/{server_id}", responses=error_responses(Conflict))
async def update_mcp_server(
    server_id: uuid.UUID,
    body: McpServerUpdate,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> McpServerRead:
    return await service.update(session, ctx, settings, server_id, body)


@router.delete("/{server_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_mcp_server(server_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, server_id)


@router.post("/{server_id}/test")
async def test_mcp_server(
    server_id: uuid.UUID,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
    databricks_token: DatabricksToken,
) -> McpServerTools:
    """Connect, list the server's tools and keep them. A server that cannot be reached (down,
    its command exits, too slow) answers 200 with `ok: false` and the reason in `error`."""
    return await service.test(session, ctx, settings, server_id, databricks_token)


@router.get("/{server_id}/tools")
async def list_mcp_server_tools(
    server_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> McpServerTools:
    """The tools the last test found."""
    return await service.tools(session, ctx, server_id)
