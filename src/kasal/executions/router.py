"""REST endpoints of executions, and their event log over long-poll and Server-Sent Events."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx, OperatorCtx
from kasal.core.db import MAX_INT
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import SSE_CONTENT, error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.executions import service
from kasal.executions.deps import bus_of, pauses_of, runs_of
from kasal.executions.models import Status
from kasal.executions.schemas import EventPage, ExecutionCreate, ExecutionRead, RunFiles, Trace

router = APIRouter(prefix="/executions", tags=["executions"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def start_execution(
    body: ExecutionCreate,
    ctx: OperatorCtx,
    session: SessionDep,
    request: Request,
    databricks_token: DatabricksToken,
) -> ExecutionRead:
    return await service.start(
        session, ctx, body, bus_of(request), runs_of(request), databricks_token
    )


@router.post(
    "/with-files",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(InvalidInput),
    summary="Start a run with files attached: they are under attachments/ in its folder",
)
async def start_execution_with_files(
    body: Annotated[
        str, Form(alias="request", description="The same body as POST /executions, as JSON")
    ],
    files: Annotated[list[UploadFile], File(description="At most 20; KASAL_ATTACHMENTS_MAX_BYTES")],
    ctx: OperatorCtx,
    session: SessionDep,
    request: Request,
    databricks_token: DatabricksToken,
) -> ExecutionRead:
    parsed = ExecutionCreate.model_validate_json(body)
    uploads = [service.Upload(f.filename or "", await f.read()) for f in files]
    return await service.start(
        session, ctx, parsed, bus_of(request), runs_of(request), databricks_token, uploads
    )


@router.get("")
async def list_executions(
    ctx: GroupCtx,
    session: SessionDep,
    page: PageQuery,
    crew_id: uuid.UUID | None = None,
    status: Status | None = None,
    flow_id: uuid.UUID | None = None,
) -> Page[ExecutionRead]:
    return await service.list_executions(session, ctx, page, crew_id, status, flow_id)


@router.get("/{execution_id}")
async def get_execution(
    execution_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> ExecutionRead:
    return await service.get(session, ctx, execution_id)


@router.delete(
    "/{execution_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Conflict),
)
async def delete_execution(
    execution_id: uuid.UUID, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> None:
    await service.delete(session, ctx, execution_id, settings.data_dir / "runs")


@router.post(
    "/{execution_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(Conflict),
)
async def cancel_execution(
    execution_id: uuid.UUID, ctx: OperatorCtx, session: SessionDep, request: Request
) -> ExecutionRead:
    return await service.cancel(
        session, ctx, execution_id, bus_of(request), runs_of(request), pauses_of(request)
    )


@router.get("/{execution_id}/trace")
async def get_trace(execution_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> Trace:
    return await service.trace(session, ctx, execution_id)


@router.get("/{execution_id}/files", summary="The files the run left in its folder")
async def list_files(
    execution_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, settings: SettingsDep
) -> RunFiles:
    return await service.files(session, ctx, execution_id, settings.data_dir / "runs")


_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment, with the media type its name implies",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **error_responses(Conflict),
}


@router.get(
    "/{execution_id}/files/{path:path}",
    response_class=FileResponse,
    responses=_DOWNLOAD,
    summary="Download one file of the run (a path as listed by the files route)",
)
async def download_file(
    execution_id: uuid.UUID,
    path: str,
    ctx: GroupCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> FileResponse:
    found = await service.file(session, ctx, execution_id, path, settings.data_dir / "runs")
    return FileResponse(found.path, media_type=found.media_type, filename=found.path.name)


@router.get(
    "/{execution_id}/events",
    response_model=EventPage,
    responses={200: {"content": SSE_CONTENT}},
    summary="The event log: long-poll JSON, or Server-Sent Events with Accept: text/event-stream",
)
async def get_events(
    execution_id: uuid.UUID,
    ctx: GroupCtx,
    session: SessionDep,
    request: Request,
    after: Annotated[
        int, Query(ge=0, le=MAX_INT, description="Return events with seq > after")
    ] = 0,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for news")] = 0,
    accept: Annotated[str, Header()] = "application/json",
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_INT)] = None,
) -> EventPage | StreamingResponse:
    if "text/event-stream" not in accept:
        return await service.events_page(session, ctx, execution_id, after, wait, bus_of(request))
    await service.get(session, ctx, execution_id)  # 404 before the stream starts
    await session.close()
    start = last_event_id if last_event_id is not None else after
    stream = _sse(request, execution_id, start)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def _sse(request: Request, execution_id: uuid.UUID, after: int) -> AsyncIterator[str]:
    events = service.stream(request.app.state.sessionmaker, execution_id, after, bus_of(request))
    async for event in events:
        if event is None:
            yield ": keep-alive\n\n"
        else:
            yield f"id: {event.seq}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"
