"""SQL for executions and their event log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.db import utcnow
from kasal.core.repository import GroupScopedRepository, Repository
from kasal.executions.models import (
    ACTIVE,
    FINISHED,
    Execution,
    ExecutionAttachment,
    ExecutionEvent,
    Status,
    TokenLoan,
)


class ExecutionRepository(GroupScopedRepository[Execution]):
    model = Execution


class AttachmentRepository(Repository[ExecutionAttachment]):
    """The files of a run's request. Not group-scoped itself: reached only through an
    execution that was (created in the caller's group, or claimed by the dispatcher)."""

    model = ExecutionAttachment

    async def add_all(self, attachments: Sequence[ExecutionAttachment]) -> None:
        self.session.add_all(attachments)
        await self.session.flush()

    async def of(self, execution_id: uuid.UUID) -> list[ExecutionAttachment]:
        stmt = self.select().where(ExecutionAttachment.execution_id == execution_id)
        return await self.all(stmt.order_by(ExecutionAttachment.name))


class TokenLoanRepository(Repository[TokenLoan]):
    """Tokens lent to queued runs. Not group-scoped: reached only by the id of a run being
    queued (in the caller's group) or claimed (by the dispatcher)."""

    model = TokenLoan

    async def take(self, execution_id: uuid.UUID) -> TokenLoan | None:
        """The run's loan, deleted in the same statement: only one claim can read it."""
        stmt = delete(TokenLoan).where(TokenLoan.execution_id == execution_id).returning(TokenLoan)
        return (await self.session.scalars(stmt)).first()

    async def drop_expired(self, now: datetime) -> None:
        await self.session.execute(delete(TokenLoan).where(TokenLoan.expires_at <= now))


class RunnerRepository(Repository[Execution]):
    """What the dispatcher does across groups: claiming, leasing, recovering runs."""

    model = Execution

    async def oldest_queued(self, limit: int) -> list[uuid.UUID]:
        stmt = (
            select(Execution.id)
            .where(Execution.status == Status.queued)
            .order_by(Execution.created_at, Execution.id)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def claim(
        self, execution_id: uuid.UUID, runner_id: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Compare-and-set from queued to running: of two dispatchers, exactly one wins."""
        return await self._transition(
            execution_id,
            {Status.queued},
            status=Status.running,
            started_at=func.coalesce(Execution.started_at, now),  # a resumed run's is kept
            runner_id=runner_id,
            lease_expires_at=lease_until,
            attempts=Execution.attempts + 1,
        )

    async def _transition(
        self, execution_id: uuid.UUID, from_: Collection[Status], **values: Any
    ) -> bool:
        result = await self.session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.status.in_(from_))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def transition(
        self, execution_id: uuid.UUID, from_: Collection[Status], to: Status, **values: Any
    ) -> bool:
        return await self._transition(execution_id, from_, status=to, **values)

    async def renew_leases(
        self, runner_id: str, ids: Collection[uuid.UUID], until: datetime
    ) -> None:
        if ids:
            await self.session.execute(
                update(Execution)
                .where(Execution.runner_id == runner_id, Execution.id.in_(list(ids)))
                .values(lease_expires_at=until)
            )

    async def expired_leases(self, now: datetime) -> list[Execution]:
        stmt = select(Execution).where(
            Execution.status.in_(ACTIVE), Execution.lease_expires_at < now
        )
        return list((await self.session.scalars(stmt)).all())

    async def cancelling_of(self, runner_id: str) -> list[uuid.UUID]:
        stmt = select(Execution.id).where(
            Execution.status == Status.cancelling, Execution.runner_id == runner_id
        )
        return list((await self.session.scalars(stmt)).all())

    async def keeping_files(
        self, ids: Collection[uuid.UUID], finished_since: datetime
    ) -> set[uuid.UUID]:
        """Of `ids`, the executions whose run folder stays: unfinished, or finished since
        `finished_since`. An id without a row (a deleted execution) is never in it."""
        ended = func.coalesce(Execution.finished_at, Execution.created_at)
        stmt = select(Execution.id).where(
            Execution.id.in_(list(ids)),
            or_(Execution.status.not_in(FINISHED), ended >= finished_since),
        )
        return set((await self.session.scalars(stmt)).all())


_EVENT_DEFAULTS: dict[str, Any] = {
    "task_key": None,
    "agent_key": None,
    "step_key": None,
    "data": {},
}


class EventRepository:
    """The append-only log. Sequence numbers come from an atomic counter on the execution,
    so any writer (the dispatcher, a cancel request) appends without gaps or collisions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self, execution_id: uuid.UUID, events: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Insert `events` (dicts without seq) and return them with their seq numbers."""
        if not events:
            return []
        last = await self.session.scalar(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(last_seq=Execution.last_seq + len(events))
            .returning(Execution.last_seq)
        )
        if last is None:
            raise LookupError(f"execution {execution_id} does not exist")
        first = int(last) - len(events) + 1
        now = utcnow()
        rows = [
            {**_EVENT_DEFAULTS, "ts": now, **event, "execution_id": execution_id, "seq": first + n}
            for n, event in enumerate(events)
        ]
        await self.session.execute(insert(ExecutionEvent), rows)
        return rows

    async def after(self, execution_id: uuid.UUID, after: int, limit: int) -> list[ExecutionEvent]:
        stmt = (
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id, ExecutionEvent.seq > after)
            .order_by(ExecutionEvent.seq)
            .limit(limit)
        )
        return list((await self.session.scalars(stmt)).all())

    async def latest(self, execution_id: uuid.UUID) -> list[ExecutionEvent]:
        stmt = (
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id)
            .order_by(ExecutionEvent.seq.desc())
            .limit(1)
        )
        return list((await self.session.scalars(stmt)).all())

    async def all_of(self, execution_id: uuid.UUID) -> list[ExecutionEvent]:
        stmt = (
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id)
            .order_by(ExecutionEvent.seq)
        )
        return list((await self.session.scalars(stmt)).all())
