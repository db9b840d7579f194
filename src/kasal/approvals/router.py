"""HTTP endpoints of approvals. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from kasal.approvals import service
from kasal.approvals.schemas import ApprovalAnswer, ApprovalRead, Listed, PendingCount
from kasal.auth.deps import GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.errors import Conflict, Forbidden, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.executions.deps import bus_of, runs_of

router = APIRouter(prefix="/approvals", tags=["approvals"])


@router.get("")
async def list_approvals(
    ctx: GroupCtx,
    session: SessionDep,
    page: PageQuery,
    status: Annotated[
        Listed, Query(description="Which: pending (the inbox), answered, all")
    ] = "pending",
) -> Page[ApprovalRead]:
    """The group's questions of paused runs, newest first."""
    return await service.list_approvals(session, ctx, page, status)


@router.get("/count")
async def count_approvals(ctx: GroupCtx, session: SessionDep) -> PendingCount:
    """How many questions wait for an answer (the inbox's badge)."""
    return await service.count(session, ctx)


@router.get("/{approval_id}")
async def get_approval(approval_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> ApprovalRead:
    return await service.get(session, ctx, approval_id)


@router.post("/{approval_id}", responses=error_responses(Forbidden, Conflict, InvalidInput))
async def answer_approval(
    approval_id: uuid.UUID,
    body: ApprovalAnswer,
    ctx: GroupCtx,
    session: SessionDep,
    request: Request,
) -> ApprovalRead:
    """Answer, and the run resumes where it paused (`settings.role` and above may)."""
    return await service.answer(session, ctx, approval_id, body, bus_of(request), runs_of(request))
