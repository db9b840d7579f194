"""Library agent endpoints. Viewers and operators read; editors and admins change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kasal.agents import service
from kasal.agents.repository import AgentSort
from kasal.agents.schemas import AgentCreate, AgentRead, AgentUpdate
from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.pagination import Page, PageQuery

router = APIRouter(prefix="/agents", tags=["agents"])


@router.get("")
async def list_agents(
    ctx: GroupCtx,
    session: SessionDep,
    params: PageQuery,
    q: Annotated[str | None, Query(max_length=200, description="Part of the role")] = None,
    sort: AgentSort = "role",
) -> Page[AgentRead]:
    return await service.list_agents(session, ctx, params, q, sort)


@router.post("", status_code=201)
async def create_agent(body: AgentCreate, ctx: EditorCtx, session: SessionDep) -> AgentRead:
    return await service.create(session, ctx, body)


@router.get("/{agent_id}")
async def get_agent(agent_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> AgentRead:
    return await service.get(session, ctx, agent_id)


@router.put("/{agent_id}")
async def update_agent(
    agent_id: uuid.UUID, body: AgentUpdate, ctx: EditorCtx, session: SessionDep
) -> AgentRead:
    return await service.update(session, ctx, agent_id, body)


@router.delete("/{agent_id}", status_code=204)
async def delete_agent(agent_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, agent_id)
