"""What the executions domain needs of the domain that keeps a paused run's question.

The approvals domain sits above executions (answering re-queues a run), so executions
cannot import it; the application hands the dispatcher and the cancel route an
implementation (`kasal.approvals.service.PENDING`). Both calls join the caller's
transaction: a run is never `waiting` without its question, nor a question left open
for a run that ended.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.engine.spec import ApprovalAsk
from kasal.executions.models import Execution


class Pauses(Protocol):
    async def open(
        self, session: AsyncSession, execution: Execution, ask: ApprovalAsk
    ) -> uuid.UUID:
        """Record what the paused run asks; the question's id."""
        ...

    async def close(self, session: AsyncSession, execution_id: uuid.UUID) -> None:
        """The run ended while it waited (cancelled): its question is no longer open."""
        ...
