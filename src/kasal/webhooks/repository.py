"""SQL for webhooks and their deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, update

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery


class WebhookRepository(GroupScopedRepository[Webhook]):
    model = Webhook

    async def enabled(self) -> list[Webhook]:
        return await self.all(self.select().where(Webhook.enabled))


class DeliveryRepository(Repository[WebhookDelivery]):
    """Deliveries are reached through their webhook (found in the caller's group), or by
    the sender, which works across groups."""

    model = WebhookDelivery

    def of(self, webhook_id: uuid.UUID) -> Select[WebhookDelivery]:
        return self.select().where(WebhookDelivery.webhook_id == webhook_id)

    async def due(self, now: datetime, limit: int) -> list[tuple[WebhookDelivery, Webhook]]:
        """Pending deliveries of enabled webhooks whose time has come. On PostgreSQL the
        rows are locked, skipping those another process is claiming right now."""
        stmt = (
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
                Webhook.enabled,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]

    async def claim(self, delivery: WebhookDelivery, until: datetime) -> bool:
        """Compare-and-set on the due time, so that of two processes that read the same row
        (SQLite has no row locks) only one sends it; `until` is when it is due again if
        this process dies while sending."""
        result = await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery.id,
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
            )
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)
