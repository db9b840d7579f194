"""HTTP endpoints of API keys. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.errors import Conflict
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.secrets import service
from kasal.secrets.schemas import ApiKeyCreate, ApiKeyRead, ApiKeyUpdate

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.get("")
async def list_api_keys(ctx: GroupCtx, session: SessionDep, page: PageQuery) -> Page[ApiKeyRead]:
    return await service.list_keys(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_api_key(body: ApiKeyCreate, ctx: EditorCtx, session: SessionDep) -> ApiKeyRead:
    return await service.create(session, ctx, body)


@router.get("/{key_id}")
async def get_api_key(key_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> ApiKeyRead:
    return await service.get(session, ctx, key_id)


@router.patch("/{key_id}")
async def update_api_key(
    key_id: uuid.UUID, body: ApiKeyUpdate, ctx: EditorCtx, session: SessionDep
) -> ApiKeyRead:
    return await service.update(session, ctx, key_id, body)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_api_key(key_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, key_id)
