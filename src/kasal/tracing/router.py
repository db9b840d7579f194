"""HTTP endpoints of tracing. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import InvalidInput
from kasal.core.openapi import error_responses
from kasal.tracing import service
from kasal.tracing.schemas import RunTraceRead, TracingRead, TracingUpdate

router = APIRouter(prefix="/tracing", tags=["tracing"])


@router.get("")
async def get_tracing(ctx: GroupCtx, session: SessionDep, settings: SettingsDep) -> TracingRead:
    """The group's tracing setting and its latest exports."""
    return await service.get(session, ctx, settings)


@router.put("", responses=error_responses(InvalidInput))
async def update_tracing(
    body: TracingUpdate, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> TracingRead:
    """Turn tracing on or off and name the experiment. Runs finishing from now on are
    exported; enabling it on a server without a tracking server is refused (422)."""
    return await service.update(session, ctx, settings, body)


@router.get("/executions/{execution_id}")
async def get_trace_export(
    execution_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> RunTraceRead:
    """What became of one run's export: its MLflow trace id, or why it failed (null: the
    run was not traced)."""
    return await service.export_of(session, ctx, execution_id)
