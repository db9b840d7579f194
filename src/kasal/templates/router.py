"""Prompt template endpoints. Everyone in the group reads; editors change and reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page
from kasal.templates import service
from kasal.templates.schemas import TemplateRead, TemplateUpdate

router = APIRouter(prefix="/templates", tags=["templates"])

TemplateKey = Annotated[str, Path(max_length=100)]


@router.get("")
async def list_templates(ctx: GroupCtx, session: SessionDep) -> Page[TemplateRead]:
    return await service.list_templates(session, ctx)


@router.get("/{key}")
async def get_template(key: TemplateKey, ctx: GroupCtx, session: SessionDep) -> TemplateRead:
    return await service.get(session, ctx, key)


@router.put("/{key}", responses=error_responses(Conflict, InvalidInput))
async def update_template(
    key: TemplateKey, body: TemplateUpdate, ctx: EditorCtx, session: SessionDep
) -> TemplateRead:
    """The group's own text of the template; `{{variables}}` must be the template's."""
    return await service.update(session, ctx, key, body)


@router.post("/{key}/reset")
async def reset_template(key: TemplateKey, ctx: EditorCtx, session: SessionDep) -> TemplateRead:
    """Back to the default text."""
    return await service.reset(session, ctx, key)
