"""Drives runs: claims queued executions into free worker slots, records what the workers
report, and makes sure no run is left `running` forever.

One dispatcher per process that runs workers: `kasal serve` with workers, or `kasal worker`.
On the local backend it claims the oldest queued runs itself; on the procrastinate backend
(`queue.JobQueue`) it takes runs as procrastinate hands it their jobs, one per free slot,
and claims them the same way. Either way it is the only writer of its workers' events: the pool's
callbacks put into one bounded inbox, and a single writer task empties it in batches, one
transaction per batch, then announces what it wrote. A slow database slows the inbox, the
inbox slows the pool's readers, and the workers' pipes push back: nothing piles up unbounded.

A database outage is only a very slow database: a batch that cannot reach it is tried again,
with capped exponential backoff, for as long as the outage lasts, and nothing behind it is
written first, so every report lands once, in order, with contiguous seqs. Dispatching and
housekeeping pause and resume the same way. Leases are judged only once the database has
been steadily back for a lease period: every process's renewals stopped with the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr, TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.connections import service as connections
from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.errors import InvalidInput, KasalError, StoredDataInvalid
from kasal.engine.openapi_spec import OpenApiSource
from kasal.engine.spec import (
    PERSISTENT_SCOPES,
    CrewSpec,
    DatabricksAccess,
    EngineEvent,
    FlowRunRequest,
    FlowSpec,
    Resume,
    RunRequest,
    RunResult,
    ToolSettings,
)
from kasal.engine.tools.catalog import DATABRICKS_KEY
from kasal.engine.tools.refs import referenced_sources
from kasal.engine.validate import connections_used, required_tool_keys
from kasal.events import EventType
from kasal.executions import handoff, log, workdirs
from kasal.executions.models import ACTIVE, Execution, Status
from kasal.executions.pauses import Pauses
from kasal.executions.queue import JobQueue
from kasal.executions.repository import AttachmentRepository, RunnerRepository
from kasal.executions.service import crews_of, model_keys
from kasal.knowledge import service as knowledge
from kasal.llms import service as llms
from kasal.mcp import service as mcp
from kasal.memory import folders as memory_folders
from kasal.memory.folders import SharedScope
from kasal.openapi import service as openapi
from kasal.realtime.bus import EventBus
from kasal.runtime import NoFreeSlot, PoolError, WorkerPool
from kasal.runtime.pool import DEFAULT_RUNNER
from kasal.secrets import service as secrets

logger = logging.getLogger(__name__)

_BATCH = 500
# A run's stored spec: a crew's, or a flow's (its steps tell them apart; both forbid extras).
_RUN_SPEC: TypeAdapter[FlowSpec | CrewSpec] = TypeAdapter(FlowSpec | CrewSpec)
_WRITE_ATTEMPTS = 3  # for a batch the database refuses (not one it cannot be reached for)
_BACKOFF_FIRST_S = 0.05
_BACKOFF_MAX_S = 2.0
_HOUSEKEEPING_S = 1.0
# SQLSTATE classes that say the server is going or gone, not that it refused the statement.
_DISCONNECT_SQLSTATES = ("08", "57P")


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` means the database could not be reached, as opposed to a refusal.

    SQLAlchemy flags a connection it found dead `connection_invalidated`; a failure to connect
    (server down, `ALLOW_CONNECTIONS false`, too many clients) or a closed connection comes as
    `OperationalError` / `InterfaceError` wrapping the driver's error. An `OperationalError`
    that carries a SQLSTATE outside the connection classes (a deadlock, a cancelled statement)
    is the database answering, so it gets the bounded retry of any refusal.
    """
    if not isinstance(exc, DBAPIError):
        return isinstance(exc, OSError)
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith(_DISCONNECT_SQLSTATES)


def _why(exc: BaseException) -> str:
    """The driver's own words: SQLAlchemy's text adds the statement and its parameters,
    which are long and carry the users' data into the log."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    return f"{type(orig).__name__}: {orig}" if orig is not None else str(exc)


class _Reachability:
    """Whether this process reaches its database. An outage is logged when it begins and when
    it ends, never once per attempt; and it tells when leases can be judged again."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.back_since = float("-inf")  # start-up counts as steady: orphans are resolved

    def failed(self, exc: BaseException, doing: str) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning(
                "the database is unreachable (while %s: %s); worker reports wait and are "
                "written once it is back",
                doing,
                _why(exc),
            )

    def reached(self) -> None:
        if self.down_since is not None:
            now = time.monotonic()
            logger.warning("the database is reachable again after %.1f s", now - self.down_since)
            self.down_since = None
            self.back_since = now

    def steady_for(self, seconds: float) -> bool:
        return self.down_since is None and time.monotonic() - self.back_since >= seconds


@dataclass(frozen=True)
class _Report:
    execution_id: uuid.UUID
    event: EngineEvent | None = None
    result: RunResult | None = None
    lost: str | None = None


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        runner: str | None = None,
        warmup: str | None = "kasal.engine.warmup",
        queue: JobQueue | None = None,
        pauses: Pauses | None = None,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.pauses = pauses  # where a paused run's question goes (the approvals domain)
        self.sessions = sessions
        self.bus = bus
        self.runner_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool = WorkerPool(
            settings.workers,
            settings.worker_concurrency,
            settings.data_dir / "crewai",
            owner=self,
            warmup=warmup,
            heartbeat_timeout=settings.worker_heartbeat_timeout,
            cancel_grace=settings.cancel_grace,
            runner=runner or DEFAULT_RUNNER,
            on_warm=self.wake,
        )
        self.run_folders = workdirs.RunFolders(settings.data_dir, settings.run_retention_s)
        self._inbox: asyncio.Queue[_Report] = asyncio.Queue(maxsize=10_000)
        self._wake = asyncio.Event()
        self._started: dict[uuid.UUID, float] = {}  # running here -> monotonic start
        self._ending: set[uuid.UUID] = set()  # final report received, not yet written
        self._cancel_sent: set[uuid.UUID] = set()
        self._timed_out: set[uuid.UUID] = set()
        self._settled: dict[uuid.UUID, asyncio.Event] = {}  # a job waits for its run's end
        self._db = _Reachability()
        self._tokens: dict[uuid.UUID, str] = {}  # Databricks on-behalf-of, memory only
        self._tasks: list[asyncio.Task[None]] = []
        self._last_lease = 0.0
        self._warming: asyncio.Task[None] | None = None
        self.warm_up_failure: str | None = None  # why no worker could be started

    # Lifecycle

    async def start(self) -> None:
        if self.queue is not None:
            await self.queue.open()
        await self._recover_expired()
        # The workers warm in the background (crewai's import and a first crew take seconds):
        # requests are served at once, runs wait queued until a worker is warm.
        self._warming = asyncio.create_task(self._warm_up(), name="kasal-warm-up")
        taking = self._dispatch_loop() if self.queue is None else self._take_jobs()
        self._tasks = [
            asyncio.create_task(taking, name="kasal-dispatch"),
            asyncio.create_task(self._writer_loop(), name="kasal-writer"),
            asyncio.create_task(self._housekeeping_loop(), name="kasal-housekeeping"),
        ]

    async def stop(self) -> None:
        """Stop taking work, let the pool report what it still had, write it all down.
        A procrastinate job ends with its run, so the jobs end once their runs are written."""
        if not self._tasks:
            return
        dispatch, writer, housekeeping = self._tasks
        for task in (dispatch, housekeeping, self._warming):
            if task is not None:
                task.cancel()
        await asyncio.gather(housekeeping, return_exceptions=True)
        if self._warming is not None:
            await asyncio.gather(self._warming, return_exceptions=True)
        await self.pool.stop()
        await self._inbox.join()
        await asyncio.gather(dispatch, return_exceptions=True)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        if self.queue is not None:
            await self.queue.close()

    async def _warm_up(self) -> None:
        try:
            await self.pool.start()
        except (PoolError, OSError) as exc:
            self.warm_up_failure = str(exc)
            logger.error("no worker could be started: %s", exc)

    async def _take_jobs(self) -> None:
        """procrastinate's concurrency is the slots of the warm pool: taken once it is warm."""
        if self._warming is not None:
            await self._warming
        if self.queue is not None and self.warm_up_failure is None:
            await self.queue.work(self._run_job, self.pool.free_slots())

    def warming(self) -> str | None:
        """Why this process cannot start runs yet (workers warming, or failed), if so."""
        if self.pool.free_slots() > 0 or self.pool.running():
            return None
        if self.warm_up_failure is not None:
            return f"No worker could be started: {self.warm_up_failure}"
        return "The workers are warming up; runs stay queued until one is warm"

    # What requests ask of it (service.Runs)

    async def enqueue(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        if self.queue is not None:
            await self.queue.defer(session, execution_id)

    def wake(self) -> None:
        self._wake.set()

    async def cancel(self, execution_id: uuid.UUID) -> None:
        if execution_id in self._started and execution_id not in self._cancel_sent:
            self._cancel_sent.add(execution_id)
            await self.pool.cancel(str(execution_id))

    async def lend_token(self, session: AsyncSession, execution_id: uuid.UUID, token: str) -> None:
        """In memory on the local backend (this dispatcher claims the run); through the
        database on procrastinate's, where any worker may (see `handoff`)."""
        if self.queue is None:
            self._tokens[execution_id] = token
        else:
            await handoff.lend(session, execution_id, token, self.settings.token_handoff_ttl_s)

    # The pool's owner protocol: everything goes through the inbox, in order.

    async def on_event(self, execution_id: str, event: EngineEvent) -> None:
        await self._inbox.put(_Report(uuid.UUID(execution_id), event=event))

    async def on_finished(self, execution_id: str, result: RunResult) -> None:
        await self._report_end(_Report(uuid.UUID(execution_id), result=result))

    async def on_lost(self, execution_id: str, reason: str) -> None:
        await self._report_end(_Report(uuid.UUID(execution_id), lost=reason))

    async def _report_end(self, report: _Report) -> None:
        """From here the run is over, however long its end takes to be written down."""
        self._ending.add(report.execution_id)
        await self._inbox.put(report)

    # Claiming and starting runs

    async def _dispatch_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_HOUSEKEEPING_S):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._fill_slots()
            except Exception as exc:
                self._trouble("dispatching", exc)

    def _trouble(self, doing: str, exc: Exception) -> None:
        """A loop's round failed: an outage is noted once, anything else logged each time."""
        if connection_lost(exc):
            self._db.failed(exc, doing)
        else:
            logger.error("%s failed; retrying", doing, exc_info=exc)

    async def _fill_slots(self) -> None:
        while (free := self.pool.free_slots()) > 0:
            async with self.sessions() as session:
                candidates = await RunnerRepository(session).oldest_queued(free)
            if not candidates:
                return
            for execution_id in candidates:
                await self._start_one(execution_id)

    async def _run_job(self, execution_id: uuid.UUID) -> None:
        """A procrastinate job: start its run here, and last until the run's end is on record.
        A run already taken, cancelled or ended makes a job that ends at once."""
        settled = self._settled[execution_id] = asyncio.Event()
        try:
            await self._start_one(execution_id)
            if execution_id in self._started:
                await settled.wait()
        finally:
            self._settled.pop(execution_id, None)

    async def _start_one(self, execution_id: uuid.UUID) -> None:
        now = utcnow()
        announcements = log.Announcements()
        async with self.sessions() as session:
            runner = RunnerRepository(session)
            if not await runner.claim(execution_id, self.runner_id, now, self._lease_until()):
                return  # another dispatcher took it, or it was cancelled meanwhile
            execution = await runner.get(execution_id)
            assert execution is not None  # noqa: S101 (just claimed in this transaction)
            try:
                request = await self._request(session, execution)
            except (KasalError, StoredDataInvalid) as exc:
                if isinstance(exc, StoredDataInvalid):
                    logger.exception("execution %s cannot start", execution_id)
                await self._finish(session, execution, Status.failed, announcements, str(exc))
                await session.commit()
                announcements.publish(self.bus)
                return
            await log.append(session, execution, [log.status_event(Status.running)], announcements)
            log.announce_status(execution, announcements)
            await session.commit()
        announcements.publish(self.bus)
        self._started[execution_id] = time.monotonic()
        try:
            await self.pool.submit(request)
        except NoFreeSlot:
            await self._report_end(_Report(execution_id, lost="no free worker slot"))

    async def _request(
        self, session: AsyncSession, execution: Execution
    ) -> RunRequest | FlowRunRequest:
        """What the worker runs: a crew, or a flow whose crew steps each run as a crew with
        what every one of them needs (the union of their models, tools, servers...)."""
        try:
            spec = _RUN_SPEC.validate_python(execution.spec)
        except ValidationError as exc:  # the server's fault, and it must not stall the queue
            raise StoredDataInvalid("The stored spec of this run does not validate.") from exc
        shared = await self._resources(session, execution, crews_of(spec))
        if isinstance(spec, FlowSpec):
            return FlowRunRequest(flow=spec, memory_dir=None, **shared)
        memory_dir = await self._memory_dir(execution, spec)
        return RunRequest(
            crew=spec, memory_dir=str(memory_dir) if memory_dir is not None else None, **shared
        )

    async def _resources(
        self, session: AsyncSession, execution: Execution, specs: list[CrewSpec]
    ) -> dict[str, Any]:
        """The credentials, tool sources, connections, knowledge and run folder of a run
        of `specs` (one crew, or a flow's crews), as `_Run` fields."""
        token = (
            self._tokens.pop(execution.id, None)
            if self.queue is None
            else await handoff.take(session, execution.id)
        )
        group = execution.group_id
        keys: set[str] = set()
        for spec in specs:
            keys |= model_keys(spec)
        configs = await llms.resolve_for_run(session, group, keys, token)
        sources = set().union(*(referenced_sources(spec, "mcp") for spec in specs))
        servers = await mcp.resolve_for_run(session, group, self.settings, sources)
        keys_needed = set().union(*(required_tool_keys(spec) for spec in specs))
        if any(server.databricks for server in servers.values()):  # managed MCP servers
            keys_needed.add(DATABRICKS_KEY)
        tool_keys = await secrets.decrypted_keys(session, group, keys_needed)
        stored_databricks = tool_keys.pop(DATABRICKS_KEY, None)  # travels as `databricks`
        databricks = (
            self._databricks(token or stored_databricks) if DATABRICKS_KEY in keys_needed else None
        )
        databases = await connections.resolve_for_run(
            session, group, set().union(*(connections_used(spec) for spec in specs))
        )
        openapi_sources: dict[str, OpenApiSource] = {}
        for spec in specs:
            openapi_sources |= await openapi.for_run(session, group, spec)
        bases = set().union(*(spec.knowledge_bases() for spec in specs))
        work_dir = await self.run_folders.create(execution.id)
        attached = await AttachmentRepository(session).of(execution.id)
        await workdirs.place(work_dir, [(a.name, a.content) for a in attached])
        return {
            "execution_id": str(execution.id),
            "resume": _resume(execution),
            "inputs": {k: str(v) for k, v in execution.inputs.items()},
            "llms": configs,
            "work_dir": str(work_dir),
            "tools": ToolSettings(
                http_allow_private=self.settings.tools_http_allow_private,
                search_endpoints=self.settings.tools_search_endpoints,
                python_enabled=self.settings.tools_python,
            ),
            "tool_keys": tool_keys,
            "databricks": databricks,
            "openapi": openapi_sources,
            "connections": databases,
            "mcp_servers": servers,
            "knowledge": await knowledge.resolve_for_run(session, group, self.settings, bases),
        }

    async def _memory_dir(self, execution: Execution, spec: CrewSpec) -> Path | None:
        """The run's lasting memory folder, from its own group and crew (see memory.folders);
        None for `off`/`run`, and for a run whose crew is gone (its memory went with it)."""
        if spec.memory not in PERSISTENT_SCOPES or (
            spec.memory == "crew" and execution.crew_id is None
        ):
            return None
        scope: SharedScope = "crew" if spec.memory == "crew" else "group"
        return await asyncio.to_thread(
            memory_folders.prepare,
            self.settings.data_dir,
            execution.group_id,
            scope,
            execution.crew_id,
        )

    def _databricks(self, token: SecretStr | str | None) -> DatabricksAccess | None:
        """The workspace a run's Databricks tools call: the signed-in user's token (Databricks
        Apps, on their behalf) or else the group's stored databricks key, at
        DATABRICKS_HOST. Without a token the engine's rules say what is missing."""
        if token is None:
            return None
        host = self.settings.databricks_host
        if not host:
            raise InvalidInput(
                "databricks_host_missing",
                "The crew's Databricks tools need the workspace's address: the operator sets "
                "DATABRICKS_HOST (https://<workspace>.cloud.databricks.com).",
            )
        secret = token if isinstance(token, SecretStr) else SecretStr(token)
        return DatabricksAccess(host=host.rstrip("/"), token=secret)

    # Writing what the workers report

    async def _writer_loop(self) -> None:
        while True:
            batch = [await self._inbox.get()]
            while len(batch) < _BATCH and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            try:
                await self._record(batch)
            except Exception:  # the one writer must outlive any batch
                logger.exception("could not record %d worker reports", len(batch))
            finally:
                for _ in batch:
                    self._inbox.task_done()
            if any(r.event is None for r in batch):
                self.wake()  # a slot came free

    async def _record(self, batch: list[_Report]) -> None:
        """Write the batch; if it keeps failing, write its reports one by one, so that one
        poison report costs only itself and never blocks the writer."""
        try:
            await self._write_with_retries(batch)
        except Exception as exc:
            if len(batch) == 1:
                await self._drop(batch[0], exc)
                return
            logger.warning(
                "could not record %d worker reports (%s); one by one", len(batch), _why(exc)
            )
            for report in batch:
                await self._record([report])

    async def _drop(self, report: _Report, exc: Exception) -> None:
        """A report that cannot be recorded. An event is lost (and logged); a run's end is
        written again without what failed, so that the run still ends. Should even that
        fail, the run is forgotten here: its lease lapses and recovery ends it."""
        eid = report.execution_id
        if report.event is not None:
            logger.error(
                "dropped a %s event of execution %s: %s", report.event.type, eid, _why(exc)
            )
            return
        logger.error("could not record the end of execution %s as reported: %s", eid, _why(exc))
        plain = RunResult(
            status="failed",
            error=f"The run ended, but its outcome could not be recorded ({type(exc).__name__})",
        )
        if report.result == plain or report.lost is not None:
            self._forget(eid)
            return
        await self._record([_Report(eid, result=plain)])

    async def _write_with_retries(self, batch: list[_Report]) -> None:
        """A batch is one transaction, so a failed attempt kept nothing and is simply made
        again. While the database cannot be reached, that goes on for as long as it takes:
        the batch holds the inbox back and the inbox the workers. Any other failure (the
        database refused it: a deadlock victim, text PostgreSQL cannot store; or its
        execution was deleted under it, skipped the second time) is tried
        `_WRITE_ATTEMPTS` times, then raised."""
        refusals, backoff = 0, _BACKOFF_FIRST_S
        while True:
            try:
                settled = await self._write(batch)
            except Exception as exc:
                if connection_lost(exc):
                    self._db.failed(exc, "recording worker reports")
                    await asyncio.sleep(backoff)
                    backoff = min(2 * backoff, _BACKOFF_MAX_S)
                    continue
                refusals += 1
                if refusals == _WRITE_ATTEMPTS:
                    raise
                await asyncio.sleep(_BACKOFF_FIRST_S * refusals)
            else:
                self._db.reached()
                for eid in settled:  # forget a run only once its end is on record
                    self._forget(eid)
                return

    def _forget(self, execution_id: uuid.UUID) -> None:
        self._started.pop(execution_id, None)
        self._ending.discard(execution_id)
        self._cancel_sent.discard(execution_id)
        self._timed_out.discard(execution_id)
        if settled := self._settled.get(execution_id):
            settled.set()

    async def _write(self, batch: list[_Report]) -> set[uuid.UUID]:
        announcements = log.Announcements()
        settled: set[uuid.UUID] = set()
        async with self.sessions() as session:
            runner = RunnerRepository(session)
            executions: dict[uuid.UUID, Execution | None] = {}
            pending: dict[uuid.UUID, list[dict[str, Any]]] = {}
            for report in batch:
                eid = report.execution_id
                if eid not in executions:
                    executions[eid] = await runner.get(eid)
                execution = executions[eid]
                if execution is None:
                    settled.add(eid)  # deleted while running: nothing left to record
                    continue
                if report.event is not None:
                    pending.setdefault(eid, []).append(_event_row(report.event))
                    continue
                await log.append(session, execution, pending.pop(eid, []), announcements)
                await self._settle(session, execution, report, announcements)
                settled.add(eid)
            for eid, rows in pending.items():
                execution = executions[eid]
                if execution is not None:
                    await log.append(session, execution, rows, announcements)
            await session.commit()
        announcements.publish(self.bus)
        return settled

    async def _settle(
        self,
        session: AsyncSession,
        execution: Execution,
        report: _Report,
        announcements: log.Announcements,
    ) -> None:
        await session.refresh(execution)
        if execution.status not in ACTIVE:
            return
        result = report.result
        if result is not None:
            execution.result = _storable(result.result)
            execution.task_outputs = _storable(dict(result.task_outputs))
            execution.usage = result.usage.model_dump(exclude={"cost"})
            execution.cost = result.usage.cost
        if execution.id in self._timed_out:
            limit = self.settings.run_timeout
            await self._finish(
                session,
                execution,
                Status.failed,
                announcements,
                f"The run took longer than {limit:g} s and was stopped (KASAL_RUN_TIMEOUT)",
            )
        elif result is not None and result.status == "waiting":
            await self._pause(session, execution, result, announcements)
        elif result is not None:
            await self._finish(
                session, execution, Status(result.status), announcements, _storable(result.error)
            )
        elif execution.status == Status.cancelling:
            await self._finish(session, execution, Status.cancelled, announcements, report.lost)
        else:
            await self._lost(session, execution, announcements, report.lost)

    async def _lost(
        self,
        session: AsyncSession,
        execution: Execution,
        announcements: log.Announcements,
        reason: str | None,
    ) -> None:
        """A run its worker lost: re-queued once where configured, else `interrupted`."""
        running = execution.status == Status.running
        if running and self.settings.requeue_lost and execution.attempts < 2:
            await self._requeue(session, execution, announcements, reason or "")
        else:
            await self._finish(session, execution, Status.interrupted, announcements, reason)

    async def _pause(
        self,
        session: AsyncSession,
        execution: Execution,
        result: RunResult,
        announcements: log.Announcements,
    ) -> None:
        """The run waits for a person: its checkpoint, its question and the event, in this
        transaction; no lease, no worker slot, until an answer puts it back in the queue."""
        if self.pauses is None or result.ask is None or result.checkpoint is None:
            why = "The run paused for a person, but this server cannot record the question"
            await self._finish(session, execution, Status.failed, announcements, why)
            return
        execution.status = Status.waiting
        execution.runner_id = None
        execution.lease_expires_at = None
        execution.checkpoint = _storable(result.checkpoint)
        ask = result.ask.model_copy(update={"output": _storable(result.ask.output)})
        approval_id = await self.pauses.open(session, execution, ask)
        data = {
            "approval_id": str(approval_id),
            "question": ask.settings.question,
            "step_key": ask.step_key,
            "task_key": ask.task_key,
        }
        await log.append(
            session, execution, [log.status_event(Status.waiting, **data)], announcements
        )
        log.announce_status(execution, announcements)

    async def _finish(
        self,
        session: AsyncSession,
        execution: Execution,
        status: Status,
        announcements: log.Announcements,
        error: str | None = None,
    ) -> None:
        execution.status = status
        execution.finished_at = utcnow()
        execution.lease_expires_at = None
        execution.checkpoint = None  # a run that ended never resumes
        if status != Status.succeeded:
            execution.error = error or execution.error
        data = {"result": execution.result} if status == Status.succeeded else {"error": error}
        await log.append(session, execution, [log.status_event(status, **data)], announcements)
        log.announce_status(execution, announcements)

    async def _requeue(
        self,
        session: AsyncSession,
        execution: Execution,
        announcements: log.Announcements,
        reason: str,
    ) -> None:
        execution.status = Status.queued
        execution.runner_id = None
        execution.lease_expires_at = None
        event = {"type": EventType.execution_requeued, "data": {"reason": reason}}
        await log.append(session, execution, [event], announcements)
        log.announce_status(execution, announcements)
        await self.enqueue(session, execution.id)

    # Timeouts, leases, cancels asked of other processes, runs of dead processes

    async def _housekeeping_loop(self) -> None:
        while True:
            await asyncio.sleep(_HOUSEKEEPING_S)
            try:
                await self._housekeeping()
            except Exception as exc:
                self._trouble("housekeeping", exc)

    async def _housekeeping(self) -> None:
        """Timeouts are enforced on the workers first, as that needs no database. Then this
        process renews its leases: after an outage, that is what tells the other processes
        these runs are still driven, before anyone judges expired leases."""
        overdue = await self._stop_overdue()
        async with self.sessions() as session:
            runner = RunnerRepository(session)
            now = time.monotonic()
            if now - self._last_lease > self.settings.lease_s / 3:
                await runner.renew_leases(self.runner_id, set(self._started), self._lease_until())
                await session.commit()
                self._last_lease = now
            cancelling = await runner.cancelling_of(self.runner_id)
        self._db.reached()
        for eid in cancelling:
            await self.cancel(eid)
        for eid in overdue:
            await self._mark_cancelling(eid, reason="timeout")
        # Other processes' renewals stopped with the outage too: give them a lease to resume.
        if self._db.steady_for(self.settings.lease_s):
            await self._recover_expired()
        await self.run_folders.sweep_if_due(self.sessions, set(self._started))

    async def _stop_overdue(self) -> list[uuid.UUID]:
        """Runs over their time, each cancelled on its worker when first seen. They are marked
        `cancelling` every round until they end, so that an outage cannot skip it. A run whose
        end has been reported is over, however late that is written down."""
        now = time.monotonic()
        overdue = [
            eid
            for eid, started in self._started.items()
            if eid not in self._ending and now - started > self.settings.run_timeout
        ]
        for eid in overdue:
            if eid not in self._timed_out:
                self._timed_out.add(eid)
                await self.cancel(eid)
        return overdue

    async def _mark_cancelling(self, execution_id: uuid.UUID, reason: str) -> None:
        announcements = log.Announcements()
        async with self.sessions() as session:
            runner = RunnerRepository(session)
            if await runner.transition(execution_id, {Status.running}, Status.cancelling):
                execution = await runner.get(execution_id)
                assert execution is not None  # noqa: S101 (just updated)
                event = log.status_event(Status.cancelling, reason=reason)
                await log.append(session, execution, [event], announcements)
                log.announce_status(execution, announcements)
                await session.commit()
        announcements.publish(self.bus)

    async def _recover_expired(self) -> None:
        """Runs whose driving process stopped renewing its claim (crashed, killed, gone):
        ended, or re-queued once where configured. Procrastinate's jobs of a worker that
        stopped its heartbeats are closed alongside (the lease says what became of the run)."""
        announcements = log.Announcements()
        async with self.sessions() as session:
            for execution in await RunnerRepository(session).expired_leases(utcnow()):
                if execution.id in self._started:
                    continue
                await self._lost(
                    session,
                    execution,
                    announcements,
                    "The process running this execution stopped before it finished",
                )
            await session.commit()
        announcements.publish(self.bus)
        if self.queue is not None:
            await self.queue.close_stalled()

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.lease_s)


def _resume(execution: Execution) -> Resume | None:
    """A run that paused and was answered goes on from its checkpoint (see approvals)."""
    if execution.checkpoint is None:
        return None
    try:
        return Resume.model_validate(execution.checkpoint)
    except ValidationError as exc:
        raise StoredDataInvalid("The stored answer of this paused run does not validate.") from exc


def _event_row(event: EngineEvent) -> dict[str, Any]:
    return {
        "type": event.type,
        "ts": event.ts,
        "task_key": event.task_key,
        "agent_key": event.agent_key,
        "step_key": event.step_key,
        "data": _storable(event.data),
    }


def _storable(value: Any) -> Any:
    """What a worker reported, in a form every database keeps: PostgreSQL refuses NUL
    characters in text and JSON, and a model may well write one. It becomes U+FFFD, the
    replacement character, rather than costing the run its events or its outcome."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value
