"""A Databricks token handed to a run that another process will claim.

On the local backend the dispatcher that claims a run is the one of the process that
queued it, so the token (a signed-in user's, or the app's service principal's) waits in its
memory. On the procrastinate backend any `kasal worker`, on any host, may claim the run: the
token is lent through the database instead, encrypted with the secret keys (the same on
every host), with an expiry, in the transaction that queues the run. The claiming worker
reads and deletes it in the transaction of its claim; a loan that outlived its expiry fails
the run with a clear error rather than letting it run without the user's identity. The token
is never in an event, a log line or an answer, and no loan outlives its run's claim.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core import crypto
from kasal.core.db import utcnow
from kasal.core.errors import InvalidInput
from kasal.executions.models import TokenLoan
from kasal.executions.repository import TokenLoanRepository


async def lend(session: AsyncSession, execution_id: uuid.UUID, token: str, ttl_s: float) -> None:
    """Lend `token` to the queued run, in the caller's transaction; loans left by runs never
    claimed (cancelled while queued) are dropped once expired."""
    repo = TokenLoanRepository(session)
    now = utcnow()
    await repo.drop_expired(now)
    await repo.add(
        TokenLoan(
            execution_id=execution_id,
            token_encrypted=crypto.current().encrypt(token),
            expires_at=now + timedelta(seconds=ttl_s),
        )
    )


async def take(session: AsyncSession, execution_id: uuid.UUID) -> str | None:
    """The token lent to the run being claimed (deleted now), None if none was lent."""
    loan = await TokenLoanRepository(session).take(execution_id)
    if loan is None:
        return None
    if loan.expires_at <= utcnow():
        raise InvalidInput(
            "databricks_token_expired",
            "The Databricks token handed to this run expired before a worker took the run "
            f"up (at {loan.expires_at.isoformat()}, KASAL_TOKEN_HANDOFF_TTL_S after it was "
            "queued): start the run again, or add workers if runs wait that long.",
        )
    return crypto.current().decrypt(loan.token_encrypted)
