"""Webhooks of a group: the URL passes the address guard, the secret is stored encrypted
and shown once (when Kasal made it), deliveries are listed newest first."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import crypto
from kasal.core.context import GroupContext
from kasal.core.errors import InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine.tools.addresses import checked_address, policy
from kasal.engine.tools.base import ToolError
from kasal.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from kasal.webhooks.repository import DeliveryRepository, WebhookRepository
from kasal.webhooks.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


async def list_webhooks(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[WebhookRead]:
    repo = WebhookRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, Webhook.created_at)
    return Page(items=[_read(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, webhook_id: uuid.UUID) -> WebhookRead:
    return _read(await _row(session, ctx, webhook_id))


async def create(
    session: AsyncSession, ctx: GroupContext, body: WebhookCreate, allow_private: bool
) -> WebhookCreated:
    await check_url(body.url, allow_private)
    generated: str | None = None  # shown once; a secret the request gave is not echoed
    if body.secret is not None:
        secret = body.secret.get_secret_value()
    else:
        secret = generated = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = Webhook(
        url=body.url,
        events=[e.value for e in body.events],
        secret_encrypted=crypto.current().encrypt(secret),
        description=body.description,
    )
    await WebhookRepository(session, ctx.group_id).add(row)
    await session.commit()
    return WebhookCreated(**_read(row).model_dump(), secret=generated)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    allow_private: bool,
) -> WebhookRead:
    row = await _row(session, ctx, webhook_id)
    if body.url is not None:
        await check_url(body.url, allow_private)
        row.url = body.url
    if body.events is not None:
        row.events = [e.value for e in body.events]
    if body.secret is not None:
        row.secret_encrypted = crypto.current().encrypt(body.secret.get_secret_value())
    if body.description is not None:
        row.description = body.description
    if body.enabled is not None:
        row.enabled = body.enabled
        if body.enabled:
            row.disabled_reason = None
            row.consecutive_failures = 0
    await session.commit()
    return _read(row)


async def delete(session: AsyncSession, ctx: GroupContext, webhook_id: uuid.UUID) -> None:
    await WebhookRepository(session, ctx.group_id).delete(await _row(session, ctx, webhook_id))
    await session.commit()


async def deliveries(
    session: AsyncSession, ctx: GroupContext, webhook_id: uuid.UUID, params: PageParams
) -> Page[DeliveryRead]:
    await _row(session, ctx, webhook_id)
    repo = DeliveryRepository(session)
    stmt = repo.of(webhook_id)
    rows, cursor = await repo.page(stmt, params, WebhookDelivery.created_at, descending=True)
    return Page(items=[_delivery(row) for row in rows], next_cursor=cursor)


async def check_url(url: str, allow_private: bool) -> None:
    """An absolute http(s) URL whose host resolves to addresses the policy allows. Checked
    again at each delivery: a name may resolve elsewhere later."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        target = None
    if target is None or target.scheme not in ("http", "https") or not target.host:
        raise _refused(f"{url!r} is not an absolute http(s) URL")
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        await asyncio.to_thread(checked_address, target.host, port, policy(allow_private))
    except ToolError as exc:
        raise _refused(str(exc)) from None


def _refused(why: str) -> InvalidInput:
    return InvalidInput(
        "webhook_url_refused",
        f"Webhooks cannot be sent there: {why}",
        [{"pointer": "/url", "code": "webhook_url_refused"}],
    )


async def _row(session: AsyncSession, ctx: GroupContext, webhook_id: uuid.UUID) -> Webhook:
    row = await WebhookRepository(session, ctx.group_id).get(webhook_id)
    if row is None:
        raise NotFound("webhook_not_found", "No such webhook")
    return row


def _read(row: Webhook) -> WebhookRead:
    return WebhookRead(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        consecutive_failures=row.consecutive_failures,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _delivery(row: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        event=row.event,
        execution_id=row.execution_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.pending else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )
