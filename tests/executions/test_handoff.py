"""The token hand-off of the procrastinate backend, on both databases: a loan is stored
encrypted, read once (the read deletes it), refused once expired, and expired loans of runs
never claimed are dropped by the next loan."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from kasal.core.errors import InvalidInput
from kasal.executions import handoff
from kasal.executions.models import TokenLoan
from tests.factories import make_actor, make_crew, running_execution, seed_database

TOKEN = "dapi-loaned-user-token-2718281828"


async def _runs(app: FastAPI, client: httpx.AsyncClient, count: int) -> list[uuid.UUID]:
    await seed_database(app)
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    return [
        uuid.UUID(await running_execution(app, actor, crew["id"], "elsewhere", 30))
        for _ in range(count)
    ]


async def test_a_loan_is_encrypted_and_read_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    (run,) = await _runs(app, client, 1)
    async with app.state.sessionmaker() as session:
        await handoff.lend(session, run, TOKEN, ttl_s=60)
        await session.commit()
        stored = await session.scalar(select(TokenLoan.token_encrypted))
    async with app.state.sessionmaker() as session:
        taken = await handoff.take(session, run)
        again = await handoff.take(session, run)
        await session.commit()
    assert stored is not None
    assert TOKEN not in stored
    assert taken == TOKEN
    assert again is None


async def test_an_expired_loan_is_refused_and_dropped(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    stale, left, fresh = await _runs(app, client, 3)
    async with app.state.sessionmaker() as session:
        await handoff.lend(session, stale, TOKEN, ttl_s=1e-6)
        await session.commit()
    async with app.state.sessionmaker() as session:
        with pytest.raises(InvalidInput, match="expired before a worker took the run up") as e:
            await handoff.take(session, stale)
        await session.commit()
    assert e.value.code == "databricks_token_expired"
    assert TOKEN not in e.value.message
    async with app.state.sessionmaker() as session:
        await handoff.lend(session, left, TOKEN, ttl_s=1e-6)  # its run is never claimed
        await session.commit()
    async with app.state.sessionmaker() as session:
        await handoff.lend(session, fresh, TOKEN, ttl_s=60)  # drops the expired one
        await session.commit()
        remaining = list(await session.scalars(select(TokenLoan.execution_id)))
    assert remaining == [fresh]
