"""The group's inbox of paused runs, and answering them.

A run pauses in the dispatcher (a crew task with `human_input`, a flow's approval step):
its checkpoint goes on the execution, its question here (`PENDING.open`), in one
transaction. Answering stores the person's answer with the checkpoint, as the `Resume` the
dispatcher runs it with, and puts the run back in the queue through the queue backend
(`Runs.enqueue`), so that whichever process takes it resumes it. Nothing lives in memory:
API and workers may restart while a run waits. A question left unanswered past its timeout
is answered with its `on_timeout` by the timeout loop (`timeouts.py`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.approvals.models import Approval, ApprovalStatus
from kasal.approvals.repository import ApprovalRepository, PendingRepository
from kasal.approvals.schemas import ApprovalAnswer, ApprovalRead, Listed, PendingCount
from kasal.auth import groups
from kasal.core.context import GroupContext, Role
from kasal.core.db import utcnow
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine.spec import ApprovalAsk, Decision, Resume
from kasal.events import EventType
from kasal.executions import log
from kasal.executions.models import Execution, Status
from kasal.executions.repository import RunnerRepository
from kasal.executions.service import Runs
from kasal.realtime.bus import EventBus

logger = logging.getLogger(__name__)

_STATUS_OF: dict[Decision, ApprovalStatus] = {
    "approve": ApprovalStatus.approved,
    "reject": ApprovalStatus.rejected,
    "reply": ApprovalStatus.replied,
}
_OVERDUE_BATCH = 100


class _Pending:
    """The executions domain's `Pauses`: questions opened and closed in its transactions."""

    async def open(
        self, session: AsyncSession, execution: Execution, ask: ApprovalAsk
    ) -> uuid.UUID:
        settings = ask.settings
        timeout = settings.timeout_s
        approval = await ApprovalRepository(session, execution.group_id).add(
            Approval(
                execution_id=execution.id,
                execution_name=execution.crew_name,
                status=ApprovalStatus.pending,
                question=settings.question,
                output=ask.output,
                answers=list(settings.answers),
                role=settings.role,
                step_key=ask.step_key,
                task_key=ask.task_key,
                timeout_at=utcnow() + timedelta(seconds=timeout) if timeout else None,
                on_timeout=settings.on_timeout,
            )
        )
        return approval.id

    async def close(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        await PendingRepository(session).close_of(execution_id, utcnow())


PENDING = _Pending()


async def list_approvals(
    session: AsyncSession, ctx: GroupContext, params: PageParams, status: Listed
) -> Page[ApprovalRead]:
    repo = ApprovalRepository(session, ctx.group_id)
    rows, cursor = await repo.page(
        repo.with_status(status), params, Approval.created_at, descending=True
    )
    return Page(items=[ApprovalRead.model_validate(r) for r in rows], next_cursor=cursor)


async def count(session: AsyncSession, ctx: GroupContext) -> PendingCount:
    return PendingCount(pending=await ApprovalRepository(session, ctx.group_id).pending_count())


async def get(session: AsyncSession, ctx: GroupContext, approval_id: uuid.UUID) -> ApprovalRead:
    return ApprovalRead.model_validate(await _get(session, ctx, approval_id))


async def answer(
    session: AsyncSession,
    ctx: GroupContext,
    approval_id: uuid.UUID,
    body: ApprovalAnswer,
    bus: EventBus,
    runs: Runs | None,
) -> ApprovalRead:
    approval = await _get(session, ctx, approval_id)
    groups.require(ctx, Role(approval.role))
    if approval.status != ApprovalStatus.pending:
        raise Conflict("approval_answered", f"This was already answered ({approval.status.value})")
    if body.decision not in approval.answers:
        raise InvalidInput(
            "answer_not_allowed",
            f"{body.decision!r} is not an answer to this question: " + ", ".join(approval.answers),
            [{"pointer": "/decision", "code": "answer_not_allowed"}],
        )
    announcements = log.Announcements()
    await _record(session, approval, body, ctx.user_id, announcements, runs)
    await session.commit()
    _launch(announcements, bus, runs)
    return ApprovalRead.model_validate(approval)


async def time_out_due(
    sessions: async_sessionmaker[AsyncSession], bus: EventBus, runs: Runs | None, now: datetime
) -> int:
    """Answer every question past its timeout with its `on_timeout`; how many were."""
    async with sessions() as session:
        overdue = [a.id for a in await PendingRepository(session).overdue(now, _OVERDUE_BATCH)]
    answered = 0
    for approval_id in overdue:
        async with sessions() as session:
            approval = await PendingRepository(session).get(approval_id)
            if approval is None or approval.status != ApprovalStatus.pending:
                continue  # answered meanwhile, by a person or another process
            body = ApprovalAnswer(
                decision="approve" if approval.on_timeout == "approve" else "reject"
            )
            announcements = log.Announcements()
            try:
                await _record(session, approval, body, None, announcements, runs)
            except Conflict:
                await session.rollback()
                continue
            await session.commit()
        _launch(announcements, bus, runs)
        answered += 1
    return answered


async def _record(
    session: AsyncSession,
    approval: Approval,
    body: ApprovalAnswer,
    by: uuid.UUID | None,
    announcements: log.Announcements,
    runs: Runs | None,
) -> None:
    """The answer, the run back in the queue with what it resumes from, and both events, in
    the caller's transaction. The run's compare-and-set from `waiting` makes one answer win."""
    runner = RunnerRepository(session)
    execution = await runner.get(approval.execution_id)
    if execution is None:
        raise NotFound("execution_not_found", "The run of this question is gone")
    resume = Resume(
        checkpoint=execution.checkpoint or {},
        decision=body.decision,
        reply=body.reply,
        comment=body.comment,
    )
    if not await runner.transition(
        execution.id, {Status.waiting}, Status.queued, checkpoint=resume.model_dump(mode="json")
    ):
        raise Conflict("execution_not_waiting", "The run no longer waits for an answer")
    await session.refresh(execution)
    now = utcnow()
    approval.status = _STATUS_OF[body.decision]
    approval.decision = body.decision
    approval.comment = body.comment
    approval.reply = body.reply
    approval.answered_by = by
    approval.timed_out = by is None
    approval.answered_at = now
    answered = {
        "type": EventType.approval_answered,
        "data": {
            "approval_id": str(approval.id),
            "decision": body.decision,
            "by": str(by) if by is not None else None,
            "comment": body.comment,
            "timed_out": by is None,
        },
    }
    await log.append(session, execution, [answered, log.status_event(Status.queued)], announcements)
    log.announce_status(execution, announcements)
    if runs is not None:
        await runs.enqueue(session, execution.id)


def _launch(announcements: log.Announcements, bus: EventBus, runs: Runs | None) -> None:
    announcements.publish(bus)
    if runs is not None:
        runs.wake()


async def _get(session: AsyncSession, ctx: GroupContext, approval_id: uuid.UUID) -> Approval:
    approval = await ApprovalRepository(session, ctx.group_id).get(approval_id)
    if approval is None:
        raise NotFound("approval_not_found", "No such approval")
    return approval
