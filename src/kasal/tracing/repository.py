"""SQL for tracing settings and trace exports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, literal, or_, select, update

from kasal.core.repository import GroupScopedRepository, Repository
from kasal.executions.models import FINISHED, Execution
from kasal.tracing.models import ExportStatus, TraceExport, TracingSetting


class TracingSettingRepository(GroupScopedRepository[TracingSetting]):
    model = TracingSetting

    async def current(self) -> TracingSetting | None:
        return await self.first(self.select())


class TraceExportRepository(GroupScopedRepository[TraceExport]):
    model = TraceExport

    async def recent(self, limit: int) -> list[TraceExport]:
        stmt = self.select().order_by(TraceExport.created_at.desc(), TraceExport.execution_id)
        return await self.all(stmt.limit(limit))

    async def of_execution(self, execution_id: uuid.UUID) -> TraceExport | None:
        return await self.first(self.select().where(TraceExport.execution_id == execution_id))


class ExportQueueRepository(Repository[TraceExport]):
    """What the exporter does across groups: finding runs to export, claiming them."""

    model = TraceExport

    async def enqueue_finished(self, now: datetime, limit: int) -> None:
        """A pending export for each run that finished in a group tracing since then."""
        already = exists().where(TraceExport.execution_id == Execution.id)
        found = (
            select(
                Execution.id,
                Execution.group_id,
                literal(ExportStatus.pending.name),
                literal(0),
                TracingSetting.experiment_name,
                literal(now, type_=TraceExport.created_at.type),
            )
            .join(TracingSetting, TracingSetting.group_id == Execution.group_id)
            .where(
                TracingSetting.enabled,
                Execution.status.in_(FINISHED),
                Execution.finished_at >= TracingSetting.enabled_at,
                ~already,
            )
            .order_by(Execution.finished_at)
            .limit(limit)
        )
        columns = ["execution_id", "group_id", "status", "attempts", "experiment_name"]
        await self.session.execute(insert(TraceExport).from_select([*columns, "created_at"], found))

    async def due(self, now: datetime, limit: int) -> list[TraceExport]:
        """Exports to attempt now: new, failed and due again, or claimed by a process that
        stopped before it finished (its claim ran out)."""
        stmt = (
            select(TraceExport)
            .join(TracingSetting, TracingSetting.group_id == TraceExport.group_id)
            .where(
                TracingSetting.enabled,
                or_(
                    TraceExport.status == ExportStatus.pending,
                    and_(
                        TraceExport.status == ExportStatus.failed,
                        TraceExport.next_attempt_at <= now,
                    ),
                    and_(
                        TraceExport.status == ExportStatus.exporting,
                        TraceExport.claimed_until < now,
                    ),
                ),
            )
            .order_by(TraceExport.created_at, TraceExport.execution_id)
            .limit(limit)
        )
        return await self.all(stmt)

    async def claim(self, row: TraceExport, until: datetime) -> bool:
        """Compare-and-set on (status, attempts) as read: of two processes, one wins."""
        result = await self.session.execute(
            update(TraceExport)
            .where(
                TraceExport.execution_id == row.execution_id,
                TraceExport.status == row.status,
                TraceExport.attempts == row.attempts,
            )
            .values(status=ExportStatus.exporting, attempts=row.attempts + 1, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def record(self, execution_id: uuid.UUID, attempts: int, **values: Any) -> None:
        """The outcome of the attempt numbered `attempts`, unless another process has since
        claimed the export again (it outlived its claim): its outcome will be the one kept."""
        await self.session.execute(
            update(TraceExport)
            .where(
                TraceExport.execution_id == execution_id,
                TraceExport.status == ExportStatus.exporting,
                TraceExport.attempts == attempts,
            )
            .values(claimed_until=None, **values)
        )
