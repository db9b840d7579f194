"""HTTP endpoints of the model catalog. Thin: parse, call the service, answer.

Keys may contain `/` (e.g. `hf/llama`), hence the `:path` converters. `?scope=global`
edits the global catalog instead of the active group's view; only instance admins may.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from kasal.auth.deps import CurrentUser, DatabricksToken, EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import BadGateway, Conflict, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page
from kasal.llms import service
from kasal.llms.schemas import DiscoveredModel, ModelCreate, ModelRead, ModelUpdate, Scope

router = APIRouter(prefix="/models", tags=["models"])

ScopeQuery = Annotated[
    Scope,
    Query(description="group: the active group's view (editors); global: every group (admins)"),
]


@router.get("")
async def list_models(
    ctx: GroupCtx, session: SessionDep, token: DatabricksToken
) -> Page[ModelRead]:
    return await service.list_models(session, ctx, token)


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict))
async def create_model(
    body: ModelCreate,
    ctx: EditorCtx,
    user: CurrentUser,
    session: SessionDep,
    token: DatabricksToken,
    scope: ScopeQuery = "group",
) -> ModelRead:
    return await service.create(
        session, ctx, body, scope=scope, instance_admin=user.is_admin, databricks_token=token
    )


@router.get("/discover", responses=error_responses(InvalidInput, BadGateway))
async def discover_models(
    ctx: GroupCtx,
    session: SessionDep,
    settings: SettingsDep,
    token: DatabricksToken,
    provider: Annotated[Literal["databricks"], Query(description="Whose models to list")],
) -> Page[DiscoveredModel]:
    """The provider's models the caller may use: Databricks serving endpoints, asked with
    the signed-in user's token (in an App) or the group's Databricks key."""
    return Page(items=await service.discover(session, ctx, settings, token))


@router.get("/{key:path}")
async def get_model(
    key: str, ctx: GroupCtx, session: SessionDep, token: DatabricksToken
) -> ModelRead:
    return await service.get(session, ctx, key, token)


@router.patch("/{key:path}")
async def update_model(
    key: str,
    body: ModelUpdate,
    ctx: EditorCtx,
    user: CurrentUser,
    session: SessionDep,
    token: DatabricksToken,
    scope: ScopeQuery = "group",
) -> ModelRead:
    return await service.update(
        session, ctx, key, body, scope=scope, instance_admin=user.is_admin, databricks_token=token
    )


@router.delete(
    "/{key:path}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(Conflict)
)
async def delete_model(
    key: str, ctx: EditorCtx, user: CurrentUser, session: SessionDep, scope: ScopeQuery = "group"
) -> None:
    await service.delete(session, ctx, key, scope=scope, instance_admin=user.is_admin)
