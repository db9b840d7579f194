"""HTTP endpoints of OpenAPI sources. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.openapi import service
from kasal.openapi.schemas import (
    OpenApiSourceCreate,
    OpenApiSourceRead,
    OpenApiSourceUpdate,
    OpenApiToolRead,
)

router = APIRouter(prefix="/openapi-sources", tags=["openapi-sources"])


@router.get("")
async def list_openapi_sources(
    ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[OpenApiSourceRead]:
    return await service.list_sources(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_openapi_source(
    body: OpenApiSourceCreate, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> OpenApiSourceRead:
    return await service.create(session, ctx, settings, body)


@router.get("/{source_id}")
async def get_openapi_source(
    source_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> OpenApiSourceRead:
    return await service.get(session, ctx, source_id)


@router.patch("/{source_id}", responses=error_responses(Conflict))
async def update_openapi_source(
    source_id: uuid.UUID,
    body: OpenApiSourceUpdate,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> OpenApiSourceRead:
    return await service.update(session, ctx, settings, source_id, body)


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_openapi_source(source_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, source_id)


@router.get("/{source_id}/tools")
async def list_openapi_source_tools(
    source_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> Page[OpenApiToolRead]:
    return await service.list_tools(session, ctx, source_id)
