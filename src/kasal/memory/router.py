"""HTTP endpoints of crews' memory. Thin: parse, call the service, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, status

from kasal.auth.deps import EditorCtx, GroupCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.openapi import error_responses
from kasal.memory import service
from kasal.memory.folders import SharedScope
from kasal.memory.schemas import MemoryList, MemoryQueryDep, MemoryReset, MemoryResetResult

router = APIRouter(prefix="/memory", tags=["memory"])


@router.get("", responses=error_responses(NotFound, InvalidInput, Conflict))
async def list_memory(
    query: MemoryQueryDep, ctx: GroupCtx, session: SessionDep, settings: SettingsDep
) -> MemoryList:
    return await service.list_memories(session, ctx, settings, query)


@router.delete(
    "/{memory_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound, InvalidInput),
)
async def delete_memory(
    memory_id: Annotated[str, Path(max_length=200)],
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
    crew_id: uuid.UUID | None = None,
    scope: SharedScope | None = None,
) -> None:
    await service.delete(session, ctx, settings, memory_id, crew_id, scope)


@router.post("/reset", responses=error_responses(NotFound, InvalidInput))
async def reset_memory(
    body: MemoryReset, ctx: EditorCtx, session: SessionDep, settings: SettingsDep
) -> MemoryResetResult:
    return await service.reset(session, ctx, settings, body)
