"""Knowledge bases: the rules of making one, uploading files to it, searching it, and
handing it to a run.

Each base has a folder of the data dir, `knowledge/<group id>/<base id>/`, holding the
uploaded originals (`files/`) and the vector store of their chunks (`vectors/`). An upload
only stores the file and queues it; the ingestion loop (see ingestion.py) reads, chunks and
embeds it in the background. Deleting a file removes its chunks; deleting a base removes
its folder.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from kasal.core.config import Settings
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine import knowledge as engine_knowledge
from kasal.engine.embeddings import EmbeddingError, embedder_for
from kasal.engine.errors import InvalidSpec
from kasal.engine.knowledge import VECTORS
from kasal.engine.spec import KnowledgeBaseConfig, LLMConfig
from kasal.engine.vectors import LanceStore, Where
from kasal.knowledge.chunking import ACCEPTED, suffix_of
from kasal.knowledge.models import KnowledgeBase, KnowledgeFile
from kasal.knowledge.repository import KnowledgeBaseRepository, KnowledgeFileRepository
from kasal.knowledge.schemas import (
    FileCounts,
    KnowledgeBaseCreate,
    KnowledgeBaseRead,
    KnowledgeBaseUpdate,
    KnowledgeFileRead,
    SearchHit,
    SearchRequest,
    SearchResult,
)
from kasal.llms import service as llms

ORIGINALS = "files"
NAME_LIMIT = 255


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str | None
    data: bytes


# ---------------------------------------------------------------- where things are


def base_folder(data_dir: Path, group_id: uuid.UUID, base_id: uuid.UUID) -> Path:
    return data_dir / "knowledge" / str(group_id) / str(base_id)


def original_path(data_dir: Path, row: KnowledgeFile) -> Path:
    folder = base_folder(data_dir, row.group_id, row.base_id) / ORIGINALS
    return folder / f"{row.id}{suffix_of(row.name)}"


def store_of(data_dir: Path, group_id: uuid.UUID, base_id: uuid.UUID) -> LanceStore:
    return LanceStore(base_folder(data_dir, group_id, base_id) / VECTORS)


# ---------------------------------------------------------------- bases


async def list_bases(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[KnowledgeBaseRead]:
    repo = KnowledgeBaseRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, KnowledgeBase.name)
    counts = await repo.file_counts([row.id for row in rows])
    return Page(items=[_read(row, counts.get(row.id, {})) for row in rows], next_cursor=cursor)


async def get_base(
    session: AsyncSession, ctx: GroupContext, base_id: uuid.UUID
) -> KnowledgeBaseRead:
    repo = KnowledgeBaseRepository(session, ctx.group_id)
    row = await _base(repo, base_id)
    return _read(row, (await repo.file_counts([row.id])).get(row.id, {}))


async def create_base(
    session: AsyncSession, ctx: GroupContext, body: KnowledgeBaseCreate
) -> KnowledgeBaseRead:
    await _check_embedder(session, ctx, body.embedding_model)
    repo = KnowledgeBaseRepository(session, ctx.group_id)
    if await repo.named(body.name) is not None:
        raise _name_taken(body.name)
    row = KnowledgeBase(**body.model_dump())
    async with committed_unless_taken(session, _name_taken(body.name)):
        await repo.add(row)
    return _read(row, {})


async def update_base(
    session: AsyncSession, ctx: GroupContext, base_id: uuid.UUID, body: KnowledgeBaseUpdate
) -> KnowledgeBaseRead:
    repo = KnowledgeBaseRepository(session, ctx.group_id)
    row = await _base(repo, base_id)
    changes = body.model_dump(exclude_unset=True)
    name = changes.get("name")
    taken = name is not None and name.lower() != row.name.lower() and await repo.named(name)
    if taken:
        raise _name_taken(str(name))
    async with committed_unless_taken(session, _name_taken(str(name))):
        for field, value in changes.items():
            if value is not None:
                setattr(row, field, value)
    return _read(row, (await repo.file_counts([row.id])).get(row.id, {}))


async def delete_base(
    session: AsyncSession, ctx: GroupContext, settings: Settings, base_id: uuid.UUID
) -> None:
    repo = KnowledgeBaseRepository(session, ctx.group_id)
    await repo.delete(await _base(repo, base_id))  # its files go with it (ON DELETE CASCADE)
    await session.commit()
    folder = base_folder(settings.data_dir, ctx.group_id, base_id)
    await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)


async def base_ids(session: AsyncSession, ctx: GroupContext) -> frozenset[str]:
    """The ids of the group's bases, as crews name them (for the crew rules)."""
    return frozenset(str(i) for i in await KnowledgeBaseRepository(session, ctx.group_id).ids())


# ---------------------------------------------------------------- files


async def list_files(
    session: AsyncSession, ctx: GroupContext, base_id: uuid.UUID, params: PageParams
) -> Page[KnowledgeFileRead]:
    await _base(KnowledgeBaseRepository(session, ctx.group_id), base_id)
    repo = KnowledgeFileRepository(session, ctx.group_id)
    stmt = repo.select().where(KnowledgeFile.base_id == base_id)
    rows, cursor = await repo.page(stmt, params, KnowledgeFile.created_at)
    return Page(items=[KnowledgeFileRead.model_validate(r) for r in rows], next_cursor=cursor)


async def get_file(
    session: AsyncSession, ctx: GroupContext, base_id: uuid.UUID, file_id: uuid.UUID
) -> KnowledgeFileRead:
    return KnowledgeFileRead.model_validate(await _file(session, ctx, base_id, file_id))


async def upload(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    base_id: uuid.UUID,
    file: Upload,
    wake: Callable[[], None],
) -> KnowledgeFileRead:
    """Store the file and queue it; ingestion reads it in the background."""
    await _base(KnowledgeBaseRepository(session, ctx.group_id), base_id)
    name = _file_name(file.name)
    _check_upload(settings, name, file.data)
    row = KnowledgeFile(
        base_id=base_id,
        name=name,
        size=len(file.data),
        content_type=file.content_type or ACCEPTED[suffix_of(name)],
    )
    await KnowledgeFileRepository(session, ctx.group_id).add(row)
    path = original_path(settings.data_dir, row)
    await asyncio.to_thread(_write, path, file.data)
    try:
        await session.commit()
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    wake()
    return KnowledgeFileRead.model_validate(row)


async def delete_file(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    base_id: uuid.UUID,
    file_id: uuid.UUID,
) -> None:
    row = await _file(session, ctx, base_id, file_id)
    path = original_path(settings.data_dir, row)
    await KnowledgeFileRepository(session, ctx.group_id).delete(row)
    await session.commit()
    await asyncio.to_thread(forget_file, settings.data_dir, row.group_id, row.base_id, row.id, path)


def forget_file(
    data_dir: Path, group_id: uuid.UUID, base_id: uuid.UUID, file_id: uuid.UUID, path: Path
) -> None:
    """Remove a file's chunks and its original (blocking: call it off the event loop)."""
    store_of(data_dir, group_id, base_id).delete(where=Where(sources=[str(file_id)]))
    path.unlink(missing_ok=True)


# ---------------------------------------------------------------- search and runs


async def search(
    session: AsyncSession,
    ctx: GroupContext,
    settings: Settings,
    base_id: uuid.UUID,
    body: SearchRequest,
) -> SearchResult:
    row = await _base(KnowledgeBaseRepository(session, ctx.group_id), base_id)
    config = (await _configs(session, ctx.group_id, settings, [row]))[str(row.id)]
    await session.commit()  # no transaction stays open while the model embeds the query
    try:
        hits = await asyncio.to_thread(engine_knowledge.search, [config], body.query, body.k)
    except (EmbeddingError, InvalidSpec) as exc:
        raise InvalidInput("embedding_failed", str(exc)) from None
    return SearchResult(
        hits=[
            SearchHit(
                text=hit.text,
                score=hit.score,
                file_id=uuid.UUID(hit.file_id),
                file_name=hit.file_name,
                page=hit.page,
                section=hit.section,
                chunk=hit.chunk,
            )
            for hit in hits
        ]
    )


async def resolve_for_run(
    session: AsyncSession, group_id: uuid.UUID, settings: Settings, ids: Collection[str]
) -> dict[str, KnowledgeBaseConfig]:
    """The bases a run searches, with their embedding models' credentials. InvalidInput
    when one is gone: the run fails, saying so."""
    if not ids:
        return {}
    wanted = {_uuid(base_id) for base_id in ids}
    rows = await KnowledgeBaseRepository(session, group_id).of_ids(
        [i for i in wanted if i is not None]
    )
    missing = sorted(set(ids) - {str(row.id) for row in rows})
    if missing:
        raise InvalidInput(
            "knowledge_base_missing", f"There is no knowledge base {missing[0]!r} any more."
        )
    return await _configs(session, group_id, settings, rows)


async def embedder_config(session: AsyncSession, group_id: uuid.UUID, model_key: str) -> LLMConfig:
    """The embedding model of a base, with the group's credentials."""
    return (await llms.resolve_for_run(session, group_id, [model_key]))[model_key]


# ---------------------------------------------------------------- internals


async def _configs(
    session: AsyncSession, group_id: uuid.UUID, settings: Settings, rows: list[KnowledgeBase]
) -> dict[str, KnowledgeBaseConfig]:
    models = await llms.resolve_for_run(session, group_id, {row.embedding_model for row in rows})
    return {
        str(row.id): KnowledgeBaseConfig(
            id=str(row.id),
            name=row.name,
            folder=str(base_folder(settings.data_dir, group_id, row.id)),
            embedder=models[row.embedding_model],
        )
        for row in rows
    }


async def _check_embedder(session: AsyncSession, ctx: GroupContext, key: str) -> None:
    """An embedding model of the group's catalog that is enabled, has its key and can embed."""
    model = (await llms.catalog(session, ctx)).get(key)
    if model is None or model.kind != "embedding":
        raise InvalidInput(
            "invalid_embedding_model",
            f"There is no embedding model {key!r} in this group's catalog.",
            [{"field": "embedding_model"}],
        )
    config = await embedder_config(session, ctx.group_id, key)
    try:
        embedder_for(config)
    except InvalidSpec as exc:
        raise InvalidInput(
            "invalid_embedding_model", str(exc), [{"field": "embedding_model"}]
        ) from None


def _check_upload(settings: Settings, name: str, data: bytes) -> None:
    if suffix_of(name) not in ACCEPTED:
        known = ", ".join(sorted(ACCEPTED))
        raise InvalidInput(
            "unsupported_file_type",
            f"{name!r} cannot be added to a knowledge base: the types taken are {known}.",
            [{"field": "file"}],
        )
    if not data:
        raise InvalidInput("empty_file", f"{name!r} is empty.", [{"field": "file"}])
    if len(data) > settings.knowledge_max_upload_bytes:
        raise InvalidInput(
            "file_too_large",
            f"{name!r} is larger than {settings.knowledge_max_upload_mb} MiB "
            "(KASAL_KNOWLEDGE_MAX_UPLOAD_MB).",
            [{"field": "file"}],
        )


def _file_name(raw: str) -> str:
    """The name as shown: the last part of what the browser sent, without control chars."""
    name = "".join(ch for ch in raw.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    name = name.strip()
    if not name or name in (".", ".."):
        raise InvalidInput("invalid_file_name", "The file has no name.", [{"field": "file"}])
    if len(name) > NAME_LIMIT:  # cut the stem, keep the type
        suffix = suffix_of(name)
        name = name[: NAME_LIMIT - len(suffix)] + suffix
    return name


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _name_taken(name: str) -> Conflict:
    return Conflict(
        "knowledge_base_name_taken", f"This group already has a knowledge base {name!r}"
    )


async def _base(repo: KnowledgeBaseRepository, base_id: uuid.UUID) -> KnowledgeBase:
    row = await repo.get(base_id)
    if row is None:
        raise NotFound("knowledge_base_not_found", "No such knowledge base")
    return row


async def _file(
    session: AsyncSession, ctx: GroupContext, base_id: uuid.UUID, file_id: uuid.UUID
) -> KnowledgeFile:
    row = await KnowledgeFileRepository(session, ctx.group_id).in_base(base_id, file_id)
    if row is None:
        raise NotFound("knowledge_file_not_found", "No such file in this knowledge base")
    return row


def _read(row: KnowledgeBase, counts: dict[str, int]) -> KnowledgeBaseRead:
    return KnowledgeBaseRead(
        id=row.id,
        name=row.name,
        description=row.description,
        embedding_model=row.embedding_model,
        chunk_size=row.chunk_size,
        chunk_overlap=row.chunk_overlap,
        files=FileCounts(**counts),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
