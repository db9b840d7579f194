"""The ingestion loop: queued files → chunks in their base's vector store, in the background.

One loop per API process, started with the app. It claims the oldest `queued` file by a
conditional UPDATE (of several processes, exactly one wins it), reads and chunks it, embeds
the chunks in batches and stores them, and records the progress after each batch, which
also renews its claim (a lease). A file whose process died keeps `processing` only until
its lease runs out: then it is queued again (at start-up and on every round) and starts
over, its half-written chunks removed first. A file that cannot be read or embedded ends
`failed` with the reason; it never holds up the files behind it. Reading, chunking and
embedding run in threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kasal.core.config import Settings
from kasal.core.db import utcnow
from kasal.core.errors import KasalError
from kasal.engine.embeddings import EmbeddingError, embedder_for
from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import LLMConfig
from kasal.engine.vectors import Record, Where
from kasal.knowledge import service
from kasal.knowledge.chunking import Chunk, Unreadable, chunks
from kasal.knowledge.models import FileStatus, KnowledgeBase, KnowledgeFile
from kasal.knowledge.repository import IngestionRepository

logger = logging.getLogger(__name__)

BATCH = 64  # chunks embedded and stored at a time
LEASE_S = 120.0  # a claim without progress for this long is taken for dead
POLL_S = 2.0  # a round at least this often, woken sooner by an upload
ERROR_CHARS = 2_000


@dataclass(frozen=True)
class _Job:
    """What the loop needs of a claimed file, read in one short transaction."""

    file_id: uuid.UUID
    group_id: uuid.UUID
    base_id: uuid.UUID
    name: str
    path: Path
    chunk_size: int
    chunk_overlap: int
    embedder: LLMConfig


class Ingestion:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_requeue = float("-inf")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="kasal-knowledge-ingestion")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # the loop must outlive a database outage or a bad file
                logger.exception("knowledge ingestion failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_S):
                    await self._wake.wait()
            self._wake.clear()

    async def round(self) -> None:
        """Re-queue what dead processes left (every lease period), then ingest every queued
        file, one after the other."""
        if time.monotonic() - self._last_requeue >= LEASE_S / 4:
            async with self.sessions() as session:
                await IngestionRepository(session).requeue_expired(utcnow())
                await session.commit()
            self._last_requeue = time.monotonic()
        while (job := await self._claim_next()) is not None:
            await self._ingest(job)

    async def _claim_next(self) -> _Job | None:
        async with self.sessions() as session:
            repo = IngestionRepository(session)
            while (file_id := await repo.oldest_queued()) is not None:
                if not await repo.claim(file_id, _lease()):
                    continue  # another process took it first
                try:
                    job = await _job(session, self.settings.data_dir, file_id)
                except KasalError as exc:  # its embedding model is gone, disabled, keyless
                    await repo.finish(file_id, FileStatus.failed, error=exc.message)
                    await session.commit()
                    continue
                await session.commit()
                if job is not None:
                    return job
            return None

    async def _ingest(self, job: _Job) -> None:
        try:
            await self._fill(job)
        except (Unreadable, EmbeddingError, InvalidSpec, OSError) as exc:
            await self._fail(job, str(exc) or type(exc).__name__)
        except Exception as exc:
            logger.exception("ingesting knowledge file %s failed", job.file_id)
            await self._fail(job, f"Ingestion failed unexpectedly ({type(exc).__name__}).")

    async def _fill(self, job: _Job) -> None:
        try:
            data = await asyncio.to_thread(job.path.read_bytes)
        except FileNotFoundError:
            raise Unreadable("The uploaded file is missing from the data folder.") from None
        found = await asyncio.to_thread(
            chunks,
            job.name,
            data,
            job.chunk_size,
            job.chunk_overlap,
            self.settings.knowledge_max_upload_bytes,
        )
        embedder = embedder_for(job.embedder)
        store = service.store_of(self.settings.data_dir, job.group_id, job.base_id)
        source = str(job.file_id)
        await asyncio.to_thread(store.delete, where=Where(sources=[source]))  # a retry restarts
        if not await self._progress(job, chunks_total=len(found)):
            return
        for start in range(0, len(found), BATCH):
            batch = found[start : start + BATCH]
            vectors = await asyncio.to_thread(embedder.embed, [c.embedded_text() for c in batch])
            records = [
                _record(job, start + offset, chunk, vector)
                for offset, (chunk, vector) in enumerate(zip(batch, vectors, strict=True))
            ]
            await asyncio.to_thread(store.add, records)
            if not await self._progress(job, chunks_done=start + len(batch)):
                return
        async with self.sessions() as session:
            done = await IngestionRepository(session).finish(job.file_id, FileStatus.ready)
            await session.commit()
        if not done:
            await self._forget(job)

    async def _progress(self, job: _Job, **values: int) -> bool:
        """Record progress and renew the claim; False (after removing what was written)
        when the file was deleted meanwhile."""
        async with self.sessions() as session:
            kept = await IngestionRepository(session).renew(job.file_id, _lease(), **values)
            await session.commit()
        if not kept:
            await self._forget(job)
        return kept

    async def _fail(self, job: _Job, reason: str) -> None:
        async with self.sessions() as session:
            await IngestionRepository(session).finish(
                job.file_id, FileStatus.failed, error=reason[:ERROR_CHARS]
            )
            await session.commit()
        await self._forget(job, keep_original=True)

    async def _forget(self, job: _Job, *, keep_original: bool = False) -> None:
        """Remove the file's chunks (a failed file keeps its original, a deleted one not);
        when its whole base was deleted meanwhile, the base's folder."""
        async with self.sessions() as session:
            base_left = await session.get(KnowledgeBase, job.base_id) is not None
        folder = service.base_folder(self.settings.data_dir, job.group_id, job.base_id)
        if not base_left:
            await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)
            return
        store = service.store_of(self.settings.data_dir, job.group_id, job.base_id)
        await asyncio.to_thread(store.delete, where=Where(sources=[str(job.file_id)]))
        if not keep_original:
            await asyncio.to_thread(job.path.unlink, missing_ok=True)


async def _job(session: AsyncSession, data_dir: Path, file_id: uuid.UUID) -> _Job | None:
    row = await session.get(KnowledgeFile, file_id)
    base = await session.get(KnowledgeBase, row.base_id) if row is not None else None
    if row is None or base is None:
        return None
    return _Job(
        file_id=row.id,
        group_id=row.group_id,
        base_id=row.base_id,
        name=row.name,
        path=service.original_path(data_dir, row),
        chunk_size=base.chunk_size,
        chunk_overlap=base.chunk_overlap,
        embedder=await service.embedder_config(session, row.group_id, base.embedding_model),
    )


def _record(job: _Job, index: int, chunk: Chunk, vector: list[float]) -> Record:
    return Record(
        id=f"{job.file_id}:{index}",
        text=chunk.text,
        vector=vector,
        source=str(job.file_id),
        meta={"file_name": job.name, "page": chunk.page, "section": chunk.section, "chunk": index},
    )


def _lease() -> datetime:
    return utcnow() + timedelta(seconds=LEASE_S)
