"""The procrastinate queue backend (`KASAL_QUEUE=procrastinate`, PostgreSQL only).

A run is one procrastinate job, deferred in the transaction that stores the run (or re-queues
it): there is never a run without its job, nor a job without its run. A job's queueing lock
is its execution id, so a run can never wait in the queue twice. Workers (`kasal worker`, or
`kasal serve` with workers) fetch jobs with the concurrency of their warm worker slots; the
job lasts as long as its run, so procrastinate's view (`doing`, its worker's heartbeats) is
the run's. The execution row stays what says how a run stands: claiming it is the same
compare-and-set as in the local backend, so a job that finds its run already taken or
cancelled simply ends.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.jobs import Status as JobStatus
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.db import libpq_url
from kasal.executions import handoff

logger = logging.getLogger(__name__)

RUN_TASK = "kasal.run_execution"
RUNS_QUEUE = "kasal_runs"
# A worker whose heartbeat (every HEARTBEAT_S) is this old is gone: its jobs are closed.
HEARTBEAT_S = 5.0
STALLED_AFTER_S = 30.0

RunJob = Callable[[uuid.UUID], Awaitable[None]]


class JobQueue:
    def __init__(self, db_url: str) -> None:
        connector = PsycopgConnector(conninfo=libpq_url(db_url), min_size=1, max_size=4)
        self.app = App(connector=connector)

    async def open(self) -> None:
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()

    async def defer(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        """Add the run's job inside the session's transaction: it commits with the run."""
        connection = await (await session.connection()).get_raw_connection()
        deferrer = self.app.configure_task(
            RUN_TASK,
            queue=RUNS_QUEUE,
            queueing_lock=str(execution_id),
            connection=connection.driver_connection,
        )
        try:
            async with session.begin_nested():  # a refused insert must not spoil the rest
                await deferrer.defer_async(execution_id=str(execution_id))
        except AlreadyEnqueued:
            return  # its job already waits: one is enough

    async def work(self, run: RunJob, concurrency: int) -> None:
        """Consume run jobs until cancelled; `run` returns once the run has ended."""

        @self.app.task(name=RUN_TASK, queue=RUNS_QUEUE)
        async def run_execution(execution_id: str) -> None:
            await run(uuid.UUID(execution_id))

        await self.app.run_worker_async(
            queues=[RUNS_QUEUE],
            concurrency=concurrency,
            install_signal_handlers=False,
            update_heartbeat_interval=HEARTBEAT_S,
            stalled_worker_timeout=STALLED_AFTER_S,
            delete_jobs="successful",
        )

    async def close_stalled(self) -> None:
        """Jobs left `doing` by a worker that stopped sending heartbeats (killed, its host
        gone). Their runs are ended (or re-queued, as a new job) by the lease recovery of
        the executions; here their jobs are closed as failed, so procrastinate's record
        agrees."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            task_name=RUN_TASK, seconds_since_heartbeat=STALLED_AFTER_S
        )
        for job in stalled:
            assert job.id is not None  # noqa: S101 (a stored job has its id)
            try:
                await self.app.job_manager.finish_job_by_id_async(
                    job.id, JobStatus.FAILED, delete_job=False
                )
            except ConnectorException:
                continue  # another worker closed it first
            logger.warning("closed job %s of a worker that stopped its heartbeats", job.id)


class QueuedRuns:
    """The runs of an API process that runs no workers (`KASAL_WORKERS=0`) on this backend:
    it queues them and nothing more. A cancel is the `cancelling` status it stores: the
    dispatcher driving the run, on whatever host, sees it within a second."""

    def __init__(self, queue: JobQueue, token_ttl_s: float) -> None:
        self.queue = queue
        self.token_ttl_s = token_ttl_s

    async def enqueue(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        await self.queue.defer(session, execution_id)

    def wake(self) -> None:
        """Workers hear of new jobs from procrastinate (LISTEN/NOTIFY, polling fallback)."""

    async def cancel(self, execution_id: uuid.UUID) -> None:
        """Stored by the request already; see the class."""

    async def lend_token(self, session: AsyncSession, execution_id: uuid.UUID, token: str) -> None:
        """Through the database, encrypted and short-lived: a worker elsewhere claims it."""
        await handoff.lend(session, execution_id, token, self.token_ttl_s)
