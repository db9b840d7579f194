"""Crew endpoints. Viewers and operators read; editors and admins change."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx
from kasal.core.db import MAX_INT
from kasal.core.deps import SessionDep
from kasal.core.pagination import Page, PageQuery
from kasal.crews import service
from kasal.crews.deps import ImportBody
from kasal.crews.porting import ExportFormat
from kasal.crews.schemas import (
    BasedOn,
    CrewCreate,
    CrewPatch,
    CrewRead,
    CrewReplace,
    CrewSort,
    CrewSummary,
    CrewVersionRead,
    DuplicateRequest,
    ValidationReport,
    VersionSummary,
)

router = APIRouter(prefix="/crews", tags=["crews"])

Search = Annotated[str | None, Query(max_length=200, description="Part of the name")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT)]


@router.get("")
async def list_crews(
    ctx: GroupCtx,
    session: SessionDep,
    params: PageQuery,
    q: Search = None,
    sort: CrewSort = "-updated_at",
) -> Page[CrewSummary]:
    return await service.list_crews(session, ctx, params, q, sort)


@router.post("", status_code=201)
async def create_crew(
    body: CrewCreate, ctx: EditorCtx, session: SessionDep, token: DatabricksToken
) -> CrewRead:
    return await service.create(session, ctx, body, databricks_token=token)


@router.post(
    "/import",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "application/json": {"schema": {"$ref": "#/components/schemas/CrewCreate"}},
            }
        }
    },
)
async def import_crew(
    ctx: EditorCtx, session: SessionDep, token: DatabricksToken, upload: ImportBody
) -> CrewRead:
    """A .yaml/.yml (multi-document), .zip (agents.yaml, tasks.yaml, crew.yaml) or .json
    file as multipart field `file`, or a Kasal crew document as a JSON body."""
    return await service.import_crew(session, ctx, upload, databricks_token=token)


@router.get("/{crew_id}")
async def get_crew(
    crew_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, token: DatabricksToken
) -> CrewRead:
    return await service.get(session, ctx, crew_id, databricks_token=token)


@router.put("/{crew_id}")
async def replace_crew(
    crew_id: uuid.UUID,
    body: CrewReplace,
    ctx: EditorCtx,
    session: SessionDep,
    token: DatabricksToken,
) -> CrewRead:
    return await service.replace(session, ctx, crew_id, body, databricks_token=token)


@router.patch("/{crew_id}")
async def patch_crew(
    crew_id: uuid.UUID,
    body: CrewPatch,
    ctx: EditorCtx,
    session: SessionDep,
    token: DatabricksToken,
) -> CrewRead:
    return await service.patch(session, ctx, crew_id, body, databricks_token=token)


@router.delete("/{crew_id}", status_code=204)
async def delete_crew(crew_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, crew_id)


@router.post("/{crew_id}/duplicate", status_code=201)
async def duplicate_crew(
    crew_id: uuid.UUID,
    ctx: EditorCtx,
    session: SessionDep,
    token: DatabricksToken,
    body: Annotated[DuplicateRequest | None, Body()] = None,
) -> CrewRead:
    request = body or DuplicateRequest()
    return await service.duplicate(session, ctx, crew_id, request, databricks_token=token)


@router.post("/{crew_id}/validate")
async def validate_crew(
    crew_id: uuid.UUID,
    ctx: GroupCtx,
    session: SessionDep,
    token: DatabricksToken,
    draft: Annotated[CrewCreate | None, Body(description="An unsaved draft to check")] = None,
) -> ValidationReport:
    return await service.validate(session, ctx, crew_id, draft, databricks_token=token)


@router.get("/{crew_id}/export")
async def export_crew(
    crew_id: uuid.UUID,
    ctx: GroupCtx,
    session: SessionDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "yaml",
) -> Response:
    exported = await service.export(session, ctx, crew_id, fmt)
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


@router.get("/{crew_id}/versions")
async def list_versions(
    crew_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, params: PageQuery
) -> Page[VersionSummary]:
    return await service.list_versions(session, ctx, crew_id, params)


@router.get("/{crew_id}/versions/{version}")
async def get_version(
    crew_id: uuid.UUID,
    version: VersionNumber,
    ctx: GroupCtx,
    session: SessionDep,
    token: DatabricksToken,
) -> CrewVersionRead:
    return await service.get_version(session, ctx, crew_id, version, databricks_token=token)


@router.post("/{crew_id}/versions/{version}/restore")
async def restore_version(
    crew_id: uuid.UUID,
    version: VersionNumber,
    ctx: EditorCtx,
    session: SessionDep,
    token: DatabricksToken,
    body: Annotated[BasedOn | None, Body()] = None,
) -> CrewRead:
    guard = body or BasedOn()
    return await service.restore(session, ctx, crew_id, version, guard, databricks_token=token)
