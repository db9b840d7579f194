"""HTTP endpoints of triggers. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep
from kasal.core.errors import BadGateway, Forbidden, InvalidInput, RateLimited, Unauthorized
from kasal.core.openapi import error_responses, raises
from kasal.core.pagination import Page, PageQuery
from kasal.executions.schemas import ExecutionRead, Inputs
from kasal.triggers import service
from kasal.triggers.models import Trigger
from kasal.triggers.schemas import TriggerCreate, TriggerCreated, TriggerRead

router = APIRouter(prefix="/triggers", tags=["triggers"])

_trigger_secret = HTTPBearer(
    auto_error=False, scheme_name="TriggerSecret", description="The trigger's kasal_trg_ secret"
)


@router.get("")
async def list_triggers(
    ctx: GroupCtx, session: SessionDep, page: PageQuery, crew_id: uuid.UUID | None = None
) -> Page[TriggerRead]:
    return await service.list_triggers(session, ctx, page, crew_id)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(InvalidInput))
async def create_trigger(
    body: TriggerCreate, ctx: EditorCtx, session: SessionDep
) -> TriggerCreated:
    """The answer holds the secret, this once."""
    return await service.create(session, ctx, body)


@router.get("/{trigger_id}")
async def get_trigger(trigger_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> TriggerRead:
    return await service.get(session, ctx, trigger_id)


@router.post("/{trigger_id}/revoke")
async def revoke_trigger(trigger_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> TriggerRead:
    """From now on its secret fires nothing."""
    return await service.revoke(session, ctx, trigger_id)


@router.delete("/{trigger_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_trigger(trigger_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, trigger_id)


@raises(Unauthorized)
async def authenticated_trigger(
    trigger_id: uuid.UUID,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_trigger_secret)],
) -> Trigger:
    """A dependency, so that a wrong secret is refused before the body is even read."""
    token = credentials.credentials if credentials is not None else None
    return await service.authenticate(session, trigger_id, token)


@router.post(
    "/{trigger_id}/fire",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(BadGateway, Forbidden, InvalidInput, RateLimited),
)
async def fire_trigger(
    trigger: Annotated[Trigger, Depends(authenticated_trigger)],
    session: SessionDep,
    request: Request,
    inputs: Annotated[
        Inputs | None, Body(description="The run's inputs, as a JSON object of strings")
    ] = None,
) -> ExecutionRead:
    """Start a run of the trigger's crew. Authenticated by the trigger's secret only."""
    state = request.app.state
    return await service.fire(
        session,
        trigger,
        inputs or {},
        state.trigger_limiter,
        state.bus,
        state.dispatcher,
        state.settings.service_principal,
    )
