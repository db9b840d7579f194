"""HTTP endpoints of database connections. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.connections import service
from kasal.connections.schemas import (
    ConnectionCheck,
    ConnectionCreate,
    ConnectionRead,
    ConnectionUpdate,
)
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery

router = APIRouter(prefix="/connections", tags=["connections"])

_WRITES = error_responses(Conflict, InvalidInput)


@router.get("")
async def list_connections(
    ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[ConnectionRead]:
    return await service.list_connections(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_WRITES)
async def create_connection(
    body: ConnectionCreate, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> ConnectionRead:
    return await service.create(session, ctx, body, settings.data_dir)


@router.get("/{connection_id}")
async def get_connection(
    connection_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> ConnectionRead:
    return await service.get(session, ctx, connection_id)


@router.patch("/{connection_id}", responses=_WRITES)
async def update_connection(
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> ConnectionRead:
    return await service.update(session, ctx, connection_id, body, settings.data_dir)


@router.delete("/{connection_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_connection(connection_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, connection_id)


@router.post("/{connection_id}/test")
async def test_connection(
    connection_id: uuid.UUID, ctx: EditorCtx, session: SessionDep
) -> ConnectionCheck:
    """Connect within a time limit, read-only, and answer the server's version or why not."""
    return await service.test(session, ctx, connection_id)
