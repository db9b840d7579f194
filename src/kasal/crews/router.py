"""Crew endpoints. Viewers and operators read; editors and admins change."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx
from kasal.core.db import MAX_INT
from kasal.core.deps import SessionDep
from kasal.core.errors import Conflict
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.crews import service
from kasal.crews.deps import ImportBody
from kasal.crews.porting import ExportFormat
from kasal.crews.schemas import (
    BasedOn,
    CrewCreate,
    CrewImported,
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

# Every write can meet a name taken by another crew, or an edit based on an older version.
_SAVES = error_responses(Conflict)
_FILE = {"schema": {"type": "string", "format": "binary"}}
_TEXT = {"schema": {"type": "string"}}
_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The crew as a file (Content-Disposition names it)",
        "content": {
            "application/yaml": _TEXT,
            "application/json": {"schema": {"type": "object"}},
            "application/zip": _FILE,
        },
    }
}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": _FILE["schema"]},
                    "required": ["file"],
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/CrewCreate"}},
            "application/yaml": _TEXT,
            "application/zip": _FILE,
        },
    }
}


@router.get("")
async def list_crews(
    ctx: GroupCtx,
    session: SessionDep,
    params: PageQuery,
    q: Search = None,
    sort: CrewSort = "-updated_at",
) -> Page[CrewSummary]:
    return await service.list_crews(session, ctx, params, q, sort)


@router.post("", status_code=201, responses=_SAVES)
async def create_crew(
    body: CrewCreate, ctx: EditorCtx, session: SessionDep, token: DatabricksToken
) -> CrewRead:
    return await service.create(session, ctx, body, databricks_token=token)


@router.post("/import", status_code=201, responses=_SAVES, openapi_extra=_IMPORT_BODY)
async def import_crew(
    ctx: EditorCtx, session: SessionDep, token: DatabricksToken, upload: ImportBody
) -> CrewImported:
    """A .yaml/.yml (multi-document), .zip (agents.yaml, tasks.yaml, crew.yaml, or a whole
    CrewAI project: crew.py and main.py are read, never run) or .json file as multipart
    field `file`, or the file itself as the body (JSON, YAML or zip; a
    `Content-Disposition: attachment; filename=...` header names it)."""
    return await service.import_crew(session, ctx, upload, databricks_token=token)


@router.get("/{crew_id}")
async def get_crew(
    crew_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, token: DatabricksToken
) -> CrewRead:
    return await service.get(session, ctx, crew_id, databricks_token=token)


@router.put("/{crew_id}", responses=_SAVES)
async def replace_crew(
    crew_id: uuid.UUID,
    body: CrewReplace,
    ctx: EditorCtx,
    session: SessionDep,
    token: DatabricksToken,
) -> CrewRead:
    return await service.replace(session, ctx, crew_id, body, databricks_token=token)


@router.patch("/{crew_id}", responses=_SAVES)
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


@router.post("/{crew_id}/duplicate", status_code=201, responses=_SAVES)
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


@router.get("/{crew_id}/export", response_class=Response, responses=_EXPORTS)
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


@router.post("/{crew_id}/versions/{version}/restore", responses=_SAVES)
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
