"""Sending deliveries: claimed safely across replicas, signed, retried with backoff.

A delivery is a POST of its JSON payload with

    X-Kasal-Timestamp: <unix seconds>
    X-Kasal-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

It goes through the same guard as the HTTP tool (`engine.tools.outbound`): a private
address is refused unless `KASAL_TOOLS_HTTP_ALLOW_PRIVATE` allows it. A 2xx answer
delivers it; anything else is tried again after `KASAL_WEBHOOK_RETRY_BASE_S`, doubled at
each try, up to `KASAL_WEBHOOK_MAX_ATTEMPTS`; `KASAL_WEBHOOK_DISABLE_AFTER` failed tries
in a row disable the webhook, with the reason shown.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal import __version__
from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.periodic import Periodic
from kasal.engine.tools import outbound
from kasal.engine.tools.addresses import policy
from kasal.engine.tools.base import ToolError
from kasal.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from kasal.webhooks.repository import DeliveryRepository

log = logging.getLogger(__name__)

BATCH = 20
ANSWER_BYTES = 2048  # of the receiver's answer: only its status matters
ERROR_CHARS = 500


@dataclass(frozen=True)
class _Claimed:
    id: uuid.UUID
    url: str
    secret: str
    event: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """Send the deliveries due by `now` (the clock is the caller's); answer how many."""
    claimed = await _claim(sessions, settings, now)
    outcomes = await asyncio.gather(*(_send(item, settings, now) for item in claimed))
    for item, outcome in zip(claimed, outcomes, strict=True):
        await _record(sessions, settings, item.id, outcome, now)
    return len(claimed)


def sender(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Periodic:
    async def step() -> None:
        await deliver_due(sessions, settings, utcnow())

    return Periodic("webhooks", settings.webhook_poll_s, step)


async def _claim(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> list[_Claimed]:
    until = now + timedelta(seconds=settings.webhook_timeout_s + 60)
    claimed = []
    async with sessions() as session:
        repo = DeliveryRepository(session)
        for delivery, hook in await repo.due(now, BATCH):
            if await repo.claim(delivery, until):
                secret = crypto.current().decrypt(hook.secret_encrypted)
                claimed.append(
                    _Claimed(delivery.id, hook.url, secret, delivery.event, delivery.payload)
                )
        await session.commit()
    return claimed


async def _send(item: _Claimed, settings: Settings, now: datetime) -> _Outcome:
    body = json.dumps(item.payload, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Kasal/{__version__}",
        "X-Kasal-Event": item.event,
        "X-Kasal-Delivery": str(item.id),
        "X-Kasal-Timestamp": timestamp,
        "X-Kasal-Signature": signature(item.secret, timestamp, body),
    }
    try:
        answer = await asyncio.to_thread(
            outbound.fetch,
            item.url,
            policy=policy(settings.tools_http_allow_private),
            limits=outbound.Limits(timeout_s=settings.webhook_timeout_s, max_bytes=ANSWER_BYTES),
            method="POST",
            content=body,
            headers=headers,
        )
    except ToolError as exc:
        return _Outcome(None, str(exc)[:ERROR_CHARS])
    if 200 <= answer.status_code < 300:
        return _Outcome(answer.status_code, None)
    return _Outcome(answer.status_code, f"HTTP {answer.status_code} {answer.reason}".strip())


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    delivery_id: uuid.UUID,
    outcome: _Outcome,
    now: datetime,
) -> None:
    async with sessions() as session:
        delivery = await session.get(WebhookDelivery, delivery_id)
        hook = await session.get(Webhook, delivery.webhook_id) if delivery else None
        if delivery is None or hook is None:
            return  # the webhook was deleted meanwhile
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.error is None:
            delivery.status = DeliveryStatus.delivered
            delivery.delivered_at = now
            hook.consecutive_failures = 0
        else:
            _failed(settings, hook, delivery, outcome.error, now)
        await session.commit()


def _failed(
    settings: Settings, hook: Webhook, delivery: WebhookDelivery, error: str, now: datetime
) -> None:
    log.info("webhook %s: delivery %s failed: %s", hook.id, delivery.id, error)
    if delivery.attempts >= settings.webhook_max_attempts:
        delivery.status = DeliveryStatus.failed
    else:
        delay = settings.webhook_retry_base_s * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    hook.consecutive_failures += 1
    if hook.enabled and hook.consecutive_failures >= settings.webhook_disable_after:
        hook.enabled = False
        hook.disabled_reason = (
            f"Disabled on {now.isoformat(timespec='seconds')} after "
            f"{hook.consecutive_failures} failed deliveries in a row; the last: {error}"
        )
