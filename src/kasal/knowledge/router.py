"""HTTP endpoints of knowledge bases. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.knowledge import service
from kasal.knowledge.schemas import (
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseUpdate,
    KnowledgeFileRead,
    SearchRequest,
    SearchResult,
)

router = APIRouter(prefix="/knowledge", tags=["knowledge"])


def _wake(request: Request) -> None:
    request.app.state.ingestion.wake()


@router.get("")
async def list_knowledge_bases(
    ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[KnowledgeBaseRead]:
    return await service.list_bases(session, ctx, page)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=error_responses(Conflict, InvalidInput)
)
async def create_knowledge_base(
    body: KnowledgeBaseCreate, ctx: EditorCtx, session: SessionDep
) -> KnowledgeBaseRead:
    return await service.create_base(session, ctx, body)


@router.get("/{base_id}")
async def get_knowledge_base(
    base_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> KnowledgeBaseRead:
    return await service.get_base(session, ctx, base_id)


@router.patch("/{base_id}", responses=error_responses(Conflict))
async def update_knowledge_base(
    base_id: uuid.UUID, body: KnowledgeBaseUpdate, ctx: EditorCtx, session: SessionDep
) -> KnowledgeBaseRead:
    return await service.update_base(session, ctx, base_id, body)


@router.delete("/{base_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_knowledge_base(
    base_id: uuid.UUID, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> None:
    """The base, its files and their chunks."""
    await service.delete_base(session, ctx, settings, base_id)


@router.get("/{base_id}/files")
async def list_knowledge_files(
    base_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[KnowledgeFileRead]:
    """Oldest first, each with its status, progress and, when it failed, why."""
    return await service.list_files(session, ctx, base_id, page)


@router.post(
    "/{base_id}/files",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(InvalidInput),
    summary="Upload a file (PDF, DOCX, Markdown, text, HTML, CSV); it is ingested in the "
    "background",
)
async def upload_knowledge_file(
    base_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="At most KASAL_KNOWLEDGE_MAX_UPLOAD_MB")],
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> KnowledgeFileRead:
    upload = service.Upload(file.filename or "", file.content_type, await file.read())
    return await service.upload(session, ctx, settings, base_id, upload, lambda: _wake(request))


@router.get("/{base_id}/files/{file_id}")
async def get_knowledge_file(
    base_id: uuid.UUID, file_id: uuid.UUID, ctx: GroupCtx, session: SessionDep
) -> KnowledgeFileRead:
    return await service.get_file(session, ctx, base_id, file_id)


@router.delete("/{base_id}/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_knowledge_file(
    base_id: uuid.UUID,
    file_id: uuid.UUID,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> None:
    """The file and its chunks."""
    await service.delete_file(session, ctx, settings, base_id, file_id)


@router.post("/{base_id}/search", responses=error_responses(InvalidInput))
async def search_knowledge_base(
    base_id: uuid.UUID,
    body: SearchRequest,
    ctx: GroupCtx,
    session: SessionDep,
    settings: SettingsDep,
) -> SearchResult:
    """The chunks nearest the query, best first, with their scores and sources."""
    return await service.search(session, ctx, settings, base_id, body)
