"""The agent library. A crew copies a library agent in (with a key of its own); editing
the library later never changes a crew."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.agents.models import LibraryAgent
from kasal.agents.repository import AgentRepository, AgentSort
from kasal.agents.schemas import AgentCreate, AgentRead, AgentUpdate
from kasal.auth.groups import GroupContext
from kasal.core.errors import NotFound
from kasal.core.pagination import Page, PageParams


async def list_agents(
    session: AsyncSession,
    ctx: GroupContext,
    params: PageParams,
    q: str | None = None,
    sort: AgentSort = "role",
) -> Page[AgentRead]:
    rows, cursor = await AgentRepository(session, ctx.group_id).search(params, q, sort)
    return Page(items=[AgentRead.model_validate(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, agent_id: uuid.UUID) -> AgentRead:
    return AgentRead.model_validate(await _agent(session, ctx, agent_id))


async def create(session: AsyncSession, ctx: GroupContext, body: AgentCreate) -> AgentRead:
    agent = await AgentRepository(session, ctx.group_id).add(
        LibraryAgent(**body.model_dump(mode="json"))
    )
    await session.commit()
    return AgentRead.model_validate(agent)


async def update(
    session: AsyncSession, ctx: GroupContext, agent_id: uuid.UUID, body: AgentUpdate
) -> AgentRead:
    agent = await _agent(session, ctx, agent_id)
    for name, value in body.model_dump(mode="json").items():
        setattr(agent, name, value)
    await session.commit()
    return AgentRead.model_validate(agent)


async def delete(session: AsyncSession, ctx: GroupContext, agent_id: uuid.UUID) -> None:
    await AgentRepository(session, ctx.group_id).delete(await _agent(session, ctx, agent_id))
    await session.commit()


async def _agent(session: AsyncSession, ctx: GroupContext, agent_id: uuid.UUID) -> LibraryAgent:
    agent = await AgentRepository(session, ctx.group_id).get(agent_id)
    if agent is None:
        raise NotFound("agent_not_found", "No such agent")
    return agent
