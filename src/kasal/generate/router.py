"""The generate endpoint: the request is checked, then the design streams as Server-Sent Events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter

from kasal.auth.deps import DatabricksToken, EditorCtx
from kasal.core.deps import SessionDep, SettingsDep
from kasal.core.errors import Conflict, InvalidInput
from kasal.core.openapi import SSE_CONTENT, error_responses
from kasal.generate import service
from kasal.generate.schemas import GenerateEvent, GenerateRequest

router = APIRouter(prefix="/generate", tags=["generate"])

_EVENTS: TypeAdapter[GenerateEvent] = TypeAdapter(GenerateEvent)
_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: each `event:` is the `type` of its `data:`, one "
        "GenerateEvent; the last is `done` (the saved crew) or `error` (nothing saved)",
        "content": SSE_CONTENT,
    },
    **error_responses(Conflict, InvalidInput),
}


@router.post("/crew", response_model=GenerateEvent, responses=_STREAM)
async def generate_crew(
    body: GenerateRequest,
    ctx: EditorCtx,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    token: DatabricksToken,
) -> StreamingResponse:
    """Design a crew from a sentence (or, with `crew_id`, change one: a new version)."""
    generation = await service.prepare(session, ctx, body, settings, token)
    await session.close()  # the stream outlives the request's session; it opens its own
    events = _sse(service.stream(generation, request.app.state.sessionmaker))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _sse(events: AsyncIterator[GenerateEvent]) -> AsyncIterator[str]:
    async for event in events:
        data = _EVENTS.dump_json(event).decode()
        yield f"event: {event.type}\ndata: {data}\n\n"
