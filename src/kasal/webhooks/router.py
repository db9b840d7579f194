"""HTTP endpoints of webhooks. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.webhooks import service
from kasal.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_WRITES = error_responses(InvalidInput)


@router.get("")
async def list_webhooks(ctx: GroupCtx, session: SessionDep, page: PageQuery) -> Page[WebhookRead]:
    return await service.list_webhooks(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_WRITES)
async def create_webhook(
    body: WebhookCreate, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> WebhookCreated:
    """The answer holds the signing secret, this once."""
    return await service.create(session, ctx, body, settings.tools_http_allow_private)


@router.get("/{webhook_id}")
async def get_webhook(webhook_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> WebhookRead:
    return await service.get(session, ctx, webhook_id)


@router.patch("/{webhook_id}", responses=_WRITES)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookRead:
    return await service.update(session, ctx, webhook_id, body, settings.tools_http_allow_private)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(webhook_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, webhook_id)


@router.get("/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[DeliveryRead]:
    """Newest first: each with its attempts, last answer or error, and next try."""
    return await service.deliveries(session, ctx, webhook_id, page)
