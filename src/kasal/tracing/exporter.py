"""The export loop: each finished run of a tracing group goes to MLflow once, nothing lost.

Every API process runs one (`run_once` every `KASAL_TRACE_EXPORT_INTERVAL_S`, as a
`core.periodic` loop). Each round it queues a `trace_exports` row for every run that
finished in a tracing group (the primary key keeps it one per run, whichever process comes
first), then claims due rows with a compare-and-set on (status, attempts): one process at a
time exports a run. A failure is recorded with its reason and tried again after a growing
delay, `KASAL_TRACE_EXPORT_ATTEMPTS` times in all; a process that dies mid-export leaves a
claim that runs out, and another process takes the row over. The run itself is never
touched: its status is settled before its export is even queued.

mlflow is synchronous, so an export runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.executions import service as executions
from kasal.executions.models import Execution
from kasal.executions.trace import TracedSpan
from kasal.tracing.models import ExportStatus, TraceExport
from kasal.tracing.repository import ExportQueueRepository

logger = logging.getLogger(__name__)

BATCH = 20
CLAIM = timedelta(minutes=10)  # longer than an export can take (30 s per request)
MAX_ERROR_CHARS = 2000


class TraceExporter:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions

    async def run_once(self) -> None:
        await self._enqueue()
        async with self.sessions() as session:
            due = await ExportQueueRepository(session).due(utcnow(), BATCH)
        for row in due:
            await self._attempt(row)

    async def _enqueue(self) -> None:
        async with self.sessions() as session:
            try:
                await ExportQueueRepository(session).enqueue_finished(utcnow(), BATCH)
                await session.commit()
            except IntegrityError:  # another process queued some of them first
                await session.rollback()

    async def _attempt(self, row: TraceExport) -> None:
        async with self.sessions() as session:
            queue = ExportQueueRepository(session)
            if not await queue.claim(row, utcnow() + CLAIM):
                return  # another process has it
            await session.commit()
            attempt = row.attempts + 1
            found = await executions.traced_run(session, row.group_id, row.execution_id)
            await session.commit()
        if found is None:
            return  # the run was deleted: its export row went with it
        try:
            trace_id = await asyncio.to_thread(self._send, row.experiment_name, *found)
        except Exception as exc:  # whatever the tracking server or the network did
            await self._failed(row.execution_id, attempt, exc)
        else:
            await self._record(
                row.execution_id,
                attempt,
                status=ExportStatus.exported,
                trace_id=trace_id,
                error=None,
                next_attempt_at=None,
                exported_at=utcnow(),
            )

    def _send(self, experiment_name: str, run: Execution, spans: list[TracedSpan]) -> str:
        from kasal.tracing import mlflow_export  # imports mlflow: seconds, see its docstring

        uri = self.settings.tracking_uri
        if uri is None:
            raise RuntimeError("KASAL_MLFLOW_TRACKING_URI is no longer set")
        token = self.settings.mlflow_tracking_token
        destination = mlflow_export.Destination(
            uri, token.get_secret_value() if token is not None else None
        )
        return mlflow_export.send(destination, experiment_name, run, spans)

    async def _failed(self, execution_id: uuid.UUID, attempt: int, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        again = attempt < self.settings.trace_export_attempts
        logger.warning(
            "exporting the trace of execution %s failed (attempt %d%s): %s",
            execution_id,
            attempt,
            "" if again else ", giving up",
            reason,
        )
        delay = self.settings.trace_export_interval_s * 2**attempt
        await self._record(
            execution_id,
            attempt,
            status=ExportStatus.failed,
            error=reason,
            next_attempt_at=utcnow() + timedelta(seconds=delay) if again else None,
        )

    async def _record(self, execution_id: uuid.UUID, attempt: int, **values: object) -> None:
        async with self.sessions() as session:
            await ExportQueueRepository(session).record(execution_id, attempt, **values)
            await session.commit()
