"""HTTP endpoints of chats. Thin: parse, call the service, answer.

Anyone in the group may keep chats of their own; talking runs the target, so posting a
message needs the operator role, and saving a chat as a crew the editor role."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kasal.auth.deps import DatabricksToken, EditorCtx, GroupCtx, OperatorCtx
from kasal.chats import service
from kasal.chats.schemas import (
    ChatCreate,
    ChatRead,
    ChatUpdate,
    MessageCreate,
    MessageRead,
    SaveAsCrew,
    Turn,
)
from kasal.core.deps import SessionDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import error_responses
from kasal.core.pagination import Page, PageQuery
from kasal.crews.schemas import CrewRead
from kasal.executions.deps import BusDep, RunsDep

router = APIRouter(prefix="/chats", tags=["chats"])


@router.get("")
async def list_chats(ctx: GroupCtx, session: SessionDep, page: PageQuery) -> Page[ChatRead]:
    """The caller's own chats in this group, the most recently active first."""
    return await service.list_chats(session, ctx, page)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_chat(
    body: ChatCreate, ctx: OperatorCtx, session: SessionDep, databricks_token: DatabricksToken
) -> ChatRead:
    return await service.create(session, ctx, body, databricks_token)


@router.get("/{chat_id}")
async def get_chat(chat_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> ChatRead:
    return await service.get(session, ctx, chat_id)


@router.patch("/{chat_id}")
async def update_chat(
    chat_id: uuid.UUID,
    body: ChatUpdate,
    ctx: GroupCtx,
    session: SessionDep,
    databricks_token: DatabricksToken,
) -> ChatRead:
    return await service.update(session, ctx, chat_id, body, databricks_token)


@router.delete("/{chat_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_chat(chat_id: uuid.UUID, ctx: GroupCtx, session: SessionDep) -> None:
    await service.delete(session, ctx, chat_id)


@router.get("/{chat_id}/messages")
async def list_messages(
    chat_id: uuid.UUID, ctx: GroupCtx, session: SessionDep, page: PageQuery
) -> Page[MessageRead]:
    """The talk in order. An answer whose run has not ended is `pending` and empty: its
    tokens stream on the run's event stream (`llm.chunk`)."""
    return await service.list_messages(session, ctx, chat_id, page)


@router.post(
    "/{chat_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(Conflict, InvalidInput),
)
async def post_message(
    chat_id: uuid.UUID,
    body: MessageCreate,
    ctx: OperatorCtx,
    session: SessionDep,
    bus: BusDep,
    runs: RunsDep,
    databricks_token: DatabricksToken,
) -> Turn:
    """Store the message and start the run that answers it; answers at once."""
    return await service.post(session, ctx, chat_id, body, bus, runs, databricks_token)


@router.post(
    "/{chat_id}/crew",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, InvalidInput),
)
async def save_as_crew(
    chat_id: uuid.UUID,
    body: SaveAsCrew,
    ctx: EditorCtx,
    session: SessionDep,
    databricks_token: DatabricksToken,
) -> CrewRead:
    """Save this conversation as a new crew (see docs/chat.md for the mapping)."""
    return await service.save_as_crew(session, ctx, chat_id, body, databricks_token)
