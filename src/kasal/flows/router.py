"""Flow endpoints, shaped like the crews'. Viewers and operators read; editors change."""

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
from kasal.crews.deps import ImportBody
from kasal.crews.schemas import BasedOn, VersionSummary
from kasal.flows import service
from kasal.flows.porting import FlowExportFormat
from kasal.flows.schemas import (
    FlowCreate,
    FlowImported,
    FlowRead,
    FlowReplace,
    FlowSummary,
    FlowValidationReport,
    FlowVersionRead,
)

router = APIRouter(prefix="/flows", tags=["flows"])

Search = Annotated[str | None, Query(max_length=200, description="Part of the name")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_INT)]

_SAVES = error_responses(Conflict)
_TEXT = {"schema": {"type": "string"}}
_EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The flow as a crewai.flow/v1 file (Content-Disposition names it)",
        "content": {"application/yaml": _TEXT, "application/json": {"schema": {"type": "object"}}},
    }
}
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": _TEXT,
        },
    }
}


@router.get("")
async def list_flows(
    ctx: GroupCtx, session: SessionDep, params: PageQuery, q: Search = None
) -> Page[FlowSummary]:
    return await service.list_flows(session, ctx, params, q)


@router.post("", status_code=201, responses=_SAVES)
async def create_flow(body: FlowCreate, ctx: EditorCtx, session: SessionDep) -> FlowRead:
    return await service.create(session, ctx, body)


@router.post("/import", status_code=201, responses=_SAVES, openapi_extra=_IMPORT_BODY)
async def import_flow(
    ctx: EditorCtx, session: SessionDep, token: DatabricksToken, upload: ImportBody
) -> FlowImported:
    """A crewai.flow/v1 file (.yaml/.yml or .json) as multipart field `file`, or the file
    itself as the body. Each inline crew becomes a saved crew; anything that does not map
    is a problem with its JSON pointer, and then nothing is saved."""
    return await service.import_flow(session, ctx, upload, databricks_token=token)


@router.get("/{flow_id}")
async def get_flow(flow_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> FlowRead:
    return await service.get(session, ctx, flow_id)


@router.put("/{flow_id}", responses=_SAVES)
async def replace_flow(
    flow_id: uuid.UUID, body: FlowReplace, ctx: EditorCtx, session: SessionDep
) -> FlowRead:
    return await service.replace(session, ctx, flow_id, body)


@router.delete("/{flow_id}", status_code=204)
async def delete_flow(flow_id: uuid.UUID, ctx: EditorCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, flow_id)


@router.post("/{flow_id}/validate")
async def validate_flow(
    flow_id: uuid.UUID,
    ctx: GroupCtx,
    session: SessionDep,
    draft: Annotated[FlowCreate | None, Body(description="An unsaved draft to check")] = None,
) -> FlowValidationReport:
    return await service.validate(session, ctx, flow_id, draft)


@router.get("/{flow_id}/export", response_class=Response, responses=_EXPORTS)
async def export_flow(
    flow_id: uuid.UUID,
    ctx: GroupCtx,
    session: SessionDep,
    fmt: Annotated[FlowExportFormat, Query(alias="format")] = "yaml",
) -> Response:
    exported = await service.export(session, ctx, flow_id, fmt)
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


@router.get("/{flow_id}/versions")
async def list_versions(
    flow_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, params: PageQuery
) -> Page[VersionSummary]:
    return await service.list_versions(session, ctx, flow_id, params)


@router.get("/{flow_id}/versions/{version}")
async def get_version(
    flow_id: uuid.UUID, version: VersionNumber, ctx: GroupCtx, session: SessionDep
) -> FlowVersionRead:
    return await service.get_version(session, ctx, flow_id, version)


@router.post("/{flow_id}/versions/{version}/restore", responses=_SAVES)
async def restore_version(
    flow_id: uuid.UUID,
    version: VersionNumber,
    ctx: EditorCtx,
    session: SessionDep,
    body: Annotated[BasedOn | None, Body()] = None,
) -> FlowRead:
    return await service.restore(session, ctx, flow_id, version, body or BasedOn())
