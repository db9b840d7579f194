"""Reading and forgetting what crews remember. The records are the engine's (see
`kasal.engine.memory`): this side opens the same LanceDB folder with `LanceStore` and never
imports crewai. The folder comes from the caller's group (see `folders`), so another
group's crew is simply not found (404), and its folder is never opened.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.errors import Conflict, InvalidInput, KasalError, NotFound
from kasal.crews import service as crews
from kasal.crews.schemas import CrewRead
from kasal.engine.embeddings import EmbeddingError, embedder_for
from kasal.engine.errors import InvalidSpec
from kasal.engine.vectors import Hit, LanceStore, Record
from kasal.llms import service as llms
from kasal.memory.folders import SharedScope, folder_for
from kasal.memory.schemas import MemoryItem, MemoryList, MemoryQuery, MemoryReset, MemoryResetResult


class EmbedderUnavailable(KasalError):
    status_code = 502


async def list_memories(
    session: AsyncSession, ctx: GroupContext, settings: Settings, query: MemoryQuery
) -> MemoryList:
    scope, crew = await _target(session, ctx, query.scope, query.crew_id)
    store = _store(settings.data_dir, ctx, scope, crew)
    if query.q is None:
        records = await asyncio.to_thread(store.list, None, query.limit)
        items = [_item(record) for record in records]
    else:
        if crew is None:
            raise InvalidInput(
                "crew_id_required", "A search needs crew_id: the crew's embedder embeds it."
            )
        vector = await _embed(session, ctx, crew, query.q)
        hits = await asyncio.to_thread(_search, store, vector, query.limit)
        items = [_item(hit.record, hit.score) for hit in hits]
    return MemoryList(scope=scope, total=await asyncio.to_thread(store.count), items=items)


async def delete(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    memory_id: str,
    crew_id: uuid.UUID | None,
    scope: SharedScope | None,
) -> None:
    chosen, crew = await _target(session, ctx, scope, crew_id)
    store = _store(settings.data_dir, ctx, chosen, crew)
    if await asyncio.to_thread(store.delete, ids=[memory_id]) == 0:
        raise NotFound("memory_not_found", "No such memory in this scope.")


async def reset(
    session: AsyncSession, ctx: GroupContext, settings: Settings, body: MemoryReset
) -> MemoryResetResult:
    """Forget the whole scope. The folder goes, so a new embedding model (other vector
    size) can start again in it."""
    scope, crew = await _target(session, ctx, body.scope, body.crew_id)
    store = _store(settings.data_dir, ctx, scope, crew)
    deleted = await asyncio.to_thread(_remove, store)
    return MemoryResetResult(scope=scope, deleted=deleted)


async def _target(
    session: AsyncSession,
    ctx: GroupContext,
    scope: SharedScope | None,
    crew_id: uuid.UUID | None,
) -> tuple[SharedScope, CrewRead | None]:
    """The scope asked for (by default the crew's own) and the crew, if one is named."""
    crew = await crews.get(session, ctx, crew_id) if crew_id is not None else None
    if scope is None and crew is not None:
        scope = "group" if crew.memory == "group" else "crew"
    if scope is None or (scope == "crew" and crew is None):
        raise InvalidInput("crew_id_required", "Name the crew (crew_id) whose memory to read.")
    return scope, crew


def _store(
    data_dir: Path, ctx: GroupContext, scope: SharedScope, crew: CrewRead | None
) -> LanceStore:
    return LanceStore(folder_for(data_dir, ctx.group_id, scope, crew.id if crew else None))


async def _embed(
    session: AsyncSession, ctx: GroupContext, crew: CrewRead, text: str
) -> list[float]:
    if crew.embedder is None:
        raise InvalidInput(
            "embedder_missing", "The crew has no embedding model (embedder) to search with."
        )
    configs = await llms.resolve_for_run(session, ctx.group_id, [crew.embedder])
    try:
        embedder = embedder_for(configs[crew.embedder])
    except InvalidSpec as exc:
        raise InvalidInput("embedder_unusable", str(exc)) from exc
    try:
        vectors = await asyncio.to_thread(embedder.embed, [text])
    except EmbeddingError as exc:
        raise EmbedderUnavailable("embedder_unavailable", str(exc)) from exc
    return vectors[0]


def _search(store: LanceStore, vector: list[float], limit: int) -> list[Hit]:
    stored = store.list(limit=1)
    if stored and len(stored[0].vector) != len(vector):
        raise Conflict(
            "embedder_changed",
            f"These memories were indexed by another embedding model "
            f"({len(stored[0].vector)} dimensions, the crew's gives {len(vector)}): "
            "reset the memory to start again with the crew's model.",
        )
    return store.search(vector, limit)


def _remove(store: LanceStore) -> int:
    count = store.count()
    shutil.rmtree(store.folder, ignore_errors=True)
    return count


def _item(record: Record, score: float | None = None) -> MemoryItem:
    meta = record.meta
    return MemoryItem(
        id=record.id,
        text=record.text,
        path=meta.get("scope", "/"),
        categories=meta.get("categories", []),
        importance=meta.get("importance", 0.5),
        created_at=record.created_at,
        embedder=meta.get("embedder"),
        score=score,
    )
