"""SQL for approvals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update

from kasal.approvals.models import Approval, ApprovalStatus
from kasal.core.repository import GroupScopedRepository, Repository


class ApprovalRepository(GroupScopedRepository[Approval]):
    model = Approval

    def with_status(self, wanted: str) -> Select[Approval]:
        stmt = self.select()
        if wanted == "pending":
            return stmt.where(Approval.status == ApprovalStatus.pending)
        if wanted == "answered":
            return stmt.where(Approval.status != ApprovalStatus.pending)
        return stmt

    async def pending_count(self) -> int:
        stmt = (
            select(func.count())
            .select_from(Approval)
            .where(Approval.group_id == self.group_id, Approval.status == ApprovalStatus.pending)
        )
        return int(await self.session.scalar(stmt) or 0)


class PendingRepository(Repository[Approval]):
    """Across groups: what the dispatcher and the timeout loop do, with no caller."""

    model = Approval

    async def overdue(self, now: datetime, limit: int) -> list[Approval]:
        stmt = (
            self.select()
            .where(Approval.status == ApprovalStatus.pending, Approval.timeout_at <= now)
            .order_by(Approval.timeout_at)
            .limit(limit)
        )
        return await self.all(stmt)

    async def close_of(self, execution_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(Approval)
            .where(Approval.execution_id == execution_id, Approval.status == ApprovalStatus.pending)
            .values(status=ApprovalStatus.closed, answered_at=now, updated_at=now)
        )
