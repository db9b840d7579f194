"""Starting, reading, cancelling and deleting executions. The dispatcher does the running."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.auth.repository import GroupRepository
from kasal.core.context import GroupContext
from kasal.core.db import utcnow
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.crews import service as crews
from kasal.engine import validate
from kasal.engine.spec import CrewSpec, FlowSpec
from kasal.executions import log, workdirs
from kasal.executions.models import Execution, ExecutionAttachment, Status
from kasal.executions.pauses import Pauses
from kasal.executions.repository import (
    AttachmentRepository,
    EventRepository,
    ExecutionRepository,
    RunnerRepository,
)
from kasal.executions.schemas import (
    EventPage,
    EventRead,
    ExecutionCreate,
    ExecutionRead,
    RunFile,
    RunFiles,
    Trace,
)
from kasal.executions.trace import TracedSpan, build_trace, trace_spans
from kasal.flows import service as flows
from kasal.llms import service as llms
from kasal.realtime.bus import EventBus, execution_channel

EVENT_PAGE = log.EVENT_PAGE
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_NAME = 255


@dataclass(frozen=True)
class Upload:
    """A file sent with a run request; its size is bounded by the route's body limit."""

    name: str
    content: bytes


class Runs(Protocol):
    """What requests need of the queue backend: the local dispatcher, or the procrastinate
    queue (absent when this process runs no workers on the local backend)."""

    async def enqueue(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        """Queue the run inside the transaction that stores it."""

    def wake(self) -> None: ...

    async def cancel(self, execution_id: uuid.UUID) -> None: ...

    async def lend_token(self, session: AsyncSession, execution_id: uuid.UUID, token: str) -> None:
        """Hand the run its Databricks token, inside the transaction that queues it."""


def crews_of(spec: CrewSpec | FlowSpec) -> list[CrewSpec]:
    """The crews a run runs: its own, or each crew step's of a flow."""
    if isinstance(spec, CrewSpec):
        return [spec]
    return [step.crew for step in spec.steps if step.crew is not None]


def model_keys(spec: CrewSpec | FlowSpec) -> set[str]:
    """The models a run uses: its agents', its manager's, and its embedder when memory is on
    (of every crew step, for a flow)."""
    if isinstance(spec, FlowSpec):
        return set().union(*(model_keys(crew) for crew in crews_of(spec)))
    keys = {agent.llm for agent in spec.agents if agent.llm}
    keys |= {spec.manager_llm} if spec.manager_llm else set()
    return keys | ({spec.embedder} if spec.embedder and spec.memory != "off" else set())


def _with_defaults(given: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, str]:
    """The run's inputs: those given, and the crew's default for any not given (or blank)."""
    filled = {name: value for name, value in defaults.items() if not given.get(name, "").strip()}
    return {**given, **filled}


async def start(
    session: AsyncSession,
    ctx: GroupContext,
    body: ExecutionCreate,
    bus: EventBus,
    runs: Runs | None,
    databricks_token: str | None = None,
    attachments: Sequence[Upload] = (),
) -> ExecutionRead:
    """Validate everything a run needs now, so a doomed run is refused, not queued.

    Attached files are stored with the run's row, in the same transaction, so that whichever
    process dispatches the run finds them (see `ExecutionAttachment`)."""
    _check_uploads(attachments)
    snapshot: crews.CrewSnapshot | flows.FlowSnapshot
    if body.flow_id is not None:
        snapshot = await flows.snapshot_for_run(
            session, ctx, body.flow_id, body.version, databricks_token=databricks_token
        )
    else:
        assert body.crew_id is not None  # noqa: S101 (ExecutionCreate: exactly one of them)
        snapshot = await crews.snapshot_for_run(
            session, ctx, body.crew_id, body.version, databricks_token=databricks_token
        )
    queued = await enqueue(session, ctx, snapshot, body.inputs, runs, databricks_token, attachments)
    await session.commit()
    return queued.launch(bus, runs)


@dataclass(frozen=True)
class Queued:
    """A run inserted but not yet committed; `launch` it once the transaction is."""

    execution: Execution
    announcements: log.Announcements

    def launch(self, bus: EventBus, runs: Runs | None) -> ExecutionRead:
        self.announcements.publish(bus)
        if runs is not None:
            runs.wake()
        return ExecutionRead.model_validate(self.execution)


async def enqueue(
    session: AsyncSession,
    ctx: GroupContext,
    snapshot: crews.CrewSnapshot | flows.FlowSnapshot,
    given: Mapping[str, str],
    runs: Runs | None,
    databricks_token: str | None = None,
    attachments: Sequence[Upload] = (),
) -> Queued:
    """Queue a run of `snapshot` in the caller's transaction (with the procrastinate backend,
    its job too): a domain that starts runs (chats) commits its own rows with the run's,
    then launches it."""
    inputs = _with_defaults(given, snapshot.default_inputs)
    missing = [name for name in snapshot.inputs if not inputs.get(name, "").strip()]
    if missing:
        kind = "flow" if isinstance(snapshot, flows.FlowSnapshot) else "crew"
        raise InvalidInput(
            "missing_inputs",
            f"The {kind} needs values for: {', '.join(missing)}",
            [{"pointer": f"/inputs/{name}", "code": "missing_input"} for name in missing],
        )
    # Checks the models and their keys; the credentials are looked up again at start.
    await llms.resolve_for_run(session, ctx.group_id, model_keys(snapshot.spec), databricks_token)
    execution = await ExecutionRepository(session, ctx.group_id).add(
        Execution(
            crew_id=snapshot.crew_id if isinstance(snapshot, crews.CrewSnapshot) else None,
            flow_id=snapshot.flow_id if isinstance(snapshot, flows.FlowSnapshot) else None,
            crew_name=snapshot.name,
            crew_version=snapshot.version,
            spec=snapshot.spec.model_dump(mode="json"),
            inputs=inputs,
            status=Status.queued,
            created_by=ctx.user_id,
        )
    )
    await AttachmentRepository(session).add_all(
        [
            ExecutionAttachment(
                execution_id=execution.id, name=u.name, size=len(u.content), content=u.content
            )
            for u in attachments
        ]
    )
    announcements = log.Announcements()
    await log.append(session, execution, [log.status_event(Status.queued)], announcements)
    log.announce_status(execution, announcements)
    if runs is not None:
        await runs.enqueue(session, execution.id)
        if databricks_token:
            await runs.lend_token(session, execution.id, databricks_token)
    return Queued(execution, announcements)


def _check_uploads(uploads: Sequence[Upload]) -> None:
    """Each file lands as `attachments/<name>`: a plain, visible name, used once."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise InvalidInput(
            "too_many_attachments", f"At most {MAX_ATTACHMENTS} files can be attached to a run"
        )
    seen: set[str] = set()
    for index, upload in enumerate(uploads):
        issue = validate.output_file_issue(upload.name)
        too_long = len(upload.name.encode()) > MAX_ATTACHMENT_NAME  # the file system's limit
        if issue is None and ("/" in upload.name or too_long):
            issue = f"give a plain file name of at most {MAX_ATTACHMENT_NAME} bytes."
        if issue is None and upload.name in seen:
            issue = f"{upload.name!r} is attached twice."
        if issue is not None:
            raise InvalidInput(
                "invalid_attachment",
                f"The attached file {upload.name!r} cannot be used: {issue}",
                [{"pointer": f"/files/{index}", "code": "invalid_attachment"}],
            )
        seen.add(upload.name)


async def get(session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID) -> ExecutionRead:
    return ExecutionRead.model_validate(await _get(session, ctx, execution_id))


async def list_executions(
    session: AsyncSession,
    ctx: GroupContext,
    params: PageParams,
    crew_id: uuid.UUID | None,
    status: Status | None,
    flow_id: uuid.UUID | None = None,
) -> Page[ExecutionRead]:
    repo = ExecutionRepository(session, ctx.group_id)
    stmt = repo.select()
    if crew_id is not None:
        stmt = stmt.where(Execution.crew_id == crew_id)
    if flow_id is not None:
        stmt = stmt.where(Execution.flow_id == flow_id)
    if status is not None:
        stmt = stmt.where(Execution.status == status)
    rows, cursor = await repo.page(stmt, params, Execution.created_at, descending=True)
    return Page(items=[ExecutionRead.model_validate(r) for r in rows], next_cursor=cursor)


async def cancel(
    session: AsyncSession,
    ctx: GroupContext,
    execution_id: uuid.UUID,
    bus: EventBus,
    runs: Runs | None,
    pauses: Pauses,
) -> ExecutionRead:
    """A queued or waiting run ends at once (a waiting one's question is closed with it); a
    running one is stopped by the worker that runs it."""
    execution = await _get(session, ctx, execution_id)
    runner = RunnerRepository(session)
    announcements = log.Announcements()
    if execution.status in (Status.cancelling, Status.cancelled):
        return ExecutionRead.model_validate(execution)
    if await runner.transition(
        execution.id, {Status.queued}, Status.cancelled, finished_at=utcnow()
    ):
        now = Status.cancelled
        event = log.status_event(now, reason="cancelled before it started")
    elif await runner.transition(
        execution.id, {Status.waiting}, Status.cancelled, finished_at=utcnow(), checkpoint=None
    ):
        now = Status.cancelled
        event = log.status_event(now, reason="cancelled while waiting for an answer")
        await pauses.close(session, execution.id)
    elif await runner.transition(execution.id, {Status.running}, Status.cancelling):
        now = Status.cancelling
        event = log.status_event(now)
    else:
        await session.rollback()
        await session.refresh(execution)
        raise Conflict(
            "execution_finished", f"The execution already ended ({execution.status.value})"
        )
    await log.append(session, execution, [event], announcements)
    await session.commit()
    await session.refresh(execution)
    log.announce_status(execution, announcements)
    announcements.publish(bus)
    if runs is not None and now == Status.cancelling:
        await runs.cancel(execution.id)
    return ExecutionRead.model_validate(execution)


async def delete(
    session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID, runs_dir: Path
) -> None:
    execution = await _get(session, ctx, execution_id)
    if not execution.status.finished:
        raise Conflict(
            "execution_active", "Only finished executions can be deleted: cancel it first"
        )
    await ExecutionRepository(session, ctx.group_id).delete(execution)
    await session.commit()
    await workdirs.remove(runs_dir, execution_id)  # a folder left behind is swept later


@dataclass(frozen=True)
class Download:
    path: Path  # the real file, inside the run folder
    media_type: str


async def files(
    session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID, runs_dir: Path
) -> RunFiles:
    execution = await _get(session, ctx, execution_id)
    listed = await workdirs.list_files(workdirs.folder_of(runs_dir, execution.id))
    if listed is None:
        _refuse_without_folder(execution, listing=True)
        return RunFiles(files=[], truncated=False)  # a run that never started has none
    found, truncated = listed
    return RunFiles(
        files=[RunFile(**asdict(f), media_type=f.media_type) for f in found],
        truncated=truncated,
    )


async def file(
    session: AsyncSession,
    ctx: GroupContext,
    execution_id: uuid.UUID,
    path: str,
    runs_dir: Path,
) -> Download:
    """One file of a run. The path obeys the rule of a task's `output_file`, so that no
    path that could leave the run folder is even looked up."""
    execution = await _get(session, ctx, execution_id)
    issue = validate.output_file_issue(path)
    if issue is not None:
        raise InvalidInput(
            "invalid_file_path",
            f"Not a file of a run: {issue}",
            [{"pointer": "/path", "code": "invalid_file_path"}],
        )
    folder = workdirs.folder_of(runs_dir, execution.id)
    target = await workdirs.locate(folder, path)
    if target is not None:
        return Download(target, workdirs.media_type(path))
    if not await asyncio.to_thread(folder.is_dir):
        _refuse_without_folder(execution, listing=False)
    raise NotFound("run_file_not_found", f"The run has no file {path!r}")


def _refuse_without_folder(execution: Execution, *, listing: bool) -> None:
    """Why a run has no folder: not started yet (a download is premature, a listing is
    empty), or swept by retention (its files are gone)."""
    if not execution.status.finished:
        if listing:
            return
        raise Conflict("run_not_started", "The run has not started yet: it has no files")
    if execution.started_at is not None:
        raise NotFound(
            "run_files_gone",
            "The files of this run were removed: runs keep their files for "
            "KASAL_RUN_RETENTION_S seconds after they finish",
        )


async def trace(session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID) -> Trace:
    execution = await _get(session, ctx, execution_id)
    events = await EventRepository(session).all_of(execution.id)
    return build_trace(execution, [EventRead.model_validate(e) for e in events])


async def traced_run(
    session: AsyncSession, group_id: uuid.UUID, execution_id: uuid.UUID
) -> tuple[Execution, list[TracedSpan]] | None:
    """A run and its spans with the events behind them, for the MLflow export (no caller:
    the exporter works for the group after the run)."""
    execution = await ExecutionRepository(session, group_id).get(execution_id)
    if execution is None:
        return None
    events = await EventRepository(session).all_of(execution.id)
    return execution, trace_spans(execution, [EventRead.model_validate(e) for e in events])


async def events_page(
    session: AsyncSession,
    ctx: GroupContext,
    execution_id: uuid.UUID,
    after: int,
    wait_s: float,
    bus: EventBus,
) -> EventPage:
    """Long-poll: answer at once when there is news, else when some arrives or `wait_s` ends."""
    execution = await _get(session, ctx, execution_id)
    subscription = bus.subscribe(execution_channel(execution_id), maxsize=1)
    try:
        items = await _read_after(session, execution_id, after)
        if not items and wait_s > 0 and not execution.status.finished:
            await session.rollback()  # hand the connection back while we wait
            try:
                async with asyncio.timeout(wait_s):
                    await subscription.get()
            except TimeoutError:
                pass
            items = await _read_after(session, execution_id, after)
        await session.refresh(execution)
    finally:
        subscription.close()
    last = items[-1].seq if items else after
    return EventPage(items=items, last_seq=last, status=execution.status)


async def stream(
    sessions: async_sessionmaker[AsyncSession],
    execution_id: uuid.UUID,
    after: int,
    bus: EventBus,
    keepalive_s: float = 15.0,
) -> AsyncIterator[EventRead | None]:
    """Every event after `after`, then live ones until the run ends; None means "still here".

    Subscribe first, then read the log: an event committed in between is in the log or
    in the subscription, and seq numbers weed out the one seen twice.
    """
    subscription = bus.subscribe(execution_channel(execution_id))
    last = after
    try:
        while True:
            async with sessions() as session:
                items = await _read_after(session, execution_id, last)
                execution = await session.get(Execution, execution_id)
            for item in items:
                last = item.seq
                yield item
            if len(items) == EVENT_PAGE:
                continue
            if execution is None or (execution.status.finished and not items):
                return
            try:
                async with asyncio.timeout(keepalive_s):
                    await subscription.get()
            except TimeoutError:
                yield None
            if subscription.overflowed:  # we fell behind: the log has it all
                subscription.close()
                subscription = bus.subscribe(execution_channel(execution_id))
    finally:
        subscription.close()


async def _read_after(
    session: AsyncSession, execution_id: uuid.UUID, after: int
) -> list[EventRead]:
    rows = await EventRepository(session).after(execution_id, after, EVENT_PAGE)
    return [EventRead.model_validate(r) for r in rows]


async def _get(session: AsyncSession, ctx: GroupContext, execution_id: uuid.UUID) -> Execution:
    execution = await ExecutionRepository(session, ctx.group_id).get(execution_id)
    if execution is None:
        raise NotFound("execution_not_found", "No such execution")
    return execution


async def subscribable(
    session: AsyncSession, user_id: uuid.UUID, execution_id: uuid.UUID
) -> Execution:
    """An execution the user may watch: one of a group they belong to (any role)."""
    execution = await RunnerRepository(session).get(execution_id)
    if (
        execution is None
        or await GroupRepository(session).role_of(execution.group_id, user_id) is None
    ):
        raise NotFound("execution_not_found", "No such execution")
    return execution


async def read_after(
    sessions: async_sessionmaker[AsyncSession], execution_id: uuid.UUID, after: int
) -> list[EventRead]:
    async with sessions() as session:
        return await _read_after(session, execution_id, after)
