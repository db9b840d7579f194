"""Crew memory with an explicit embedder, never crewai's default, in a store Kasal owns.

`Crew(memory=True)` would embed with OpenAI's default model and an API key from
the environment: wrong provider, wrong credentials, and a network call offline.
Here the embedder comes from the run's own model configuration (see `embeddings`).

crewai's unified `Memory` keeps its records through a `StorageBackend`; `MemoryStorage`
is one on top of `vectors.LanceStore`, so the stored schema is Kasal's: the API lists,
searches and deletes the same records with `LanceStore` alone, without importing crewai.
A record's `source` is its crewai scope path ending in `/` (so a scope prefix is a plain
prefix filter), its `meta` the rest of crewai's fields (see `META`).

Where the store lives is the caller's choice (`RunRequest.memory_dir`, built from the
run's group and crew, never from user input); without one it is in the run folder and
lasts for the run. Every save is announced on crewai's bus as `MemoryRecordsSaved` with
the saved texts, which the capture turns into a `memory.saved` event with a preview.

Recall blocks the run's event loop: crewai's agents call the synchronous `recall` from
`aexecute_task`, so while it runs no other run of the worker moves and no heartbeat goes
out. Kasal keeps recall to one embedding and vector searches: no LLM query analysis
(`query_analysis_threshold`) and no LLM-driven deeper exploration (`exploration_budget`).
Saving (the LLM analysis) runs in crewai's background thread and keeps its LLM calls.
What a first recall would load on the loop (LanceDB, the offline model) `preload` loads
in a thread before the run starts.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crewai.events import crewai_event_bus
from crewai.events.base_events import BaseEvent
from crewai.llms.base_llm import BaseLLM
from crewai.memory.storage.backend import EmbeddingDimensionMismatchError
from crewai.memory.types import MemoryRecord, ScopeInfo
from crewai.memory.unified_memory import Memory

from kasal.engine.embeddings import embedder_for
from kasal.engine.spec import LLMConfig
from kasal.engine.vectors import LanceStore, Record, Where

RUN_MEMORY_DIR = ".memory"  # in the run folder, for `run` scope
NO_LLM_IN_RECALL = {"query_analysis_threshold": 1_000_000_000, "exploration_budget": 0}
SCAN_LIMIT = 100_000  # records read at most to answer scope questions


class MemoryRecordsSaved(BaseEvent):
    """Kasal's own bus event: the records one save wrote (crewai's events give a count)."""

    type: str = "kasal_memory_records_saved"
    contents: list[str]


def build_memory(
    embedder: LLMConfig, analysis_llm: BaseLLM, work_dir: Path, memory_dir: Path | None
) -> Memory:
    """A Memory for one run: `analysis_llm` files the memories, `embedder` indexes them,
    and they are kept in `memory_dir` (shared across runs) or else in the run folder."""
    folder = memory_dir if memory_dir is not None else work_dir / RUN_MEMORY_DIR
    return Memory(
        llm=analysis_llm,
        embedder=embedder_for(embedder).embed,
        storage=MemoryStorage(LanceStore(folder), embedder.key),
        **NO_LLM_IN_RECALL,
    )


def preload(embedder: LLMConfig) -> None:
    """Import LanceDB and load the offline model now, off the event loop (see above)."""
    importlib.import_module("lancedb")
    if embedder.provider == "demo":
        embedder_for(embedder).embed(["ready"])


def scope_source(scope: str | None) -> str:
    """A crewai scope path as a record's `source`: `/a/b` → `/a/b/`, root → `/`."""
    inner = (scope or "/").strip("/")
    return f"/{inner}/" if inner else "/"


def _where(scope_prefix: str | None) -> Where | None:
    source = scope_source(scope_prefix)
    return None if source == "/" else Where(prefix=source)


def _naive_utc(moment: datetime) -> datetime:
    """crewai computes ages against naive `datetime.utcnow()`."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _aware_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_record(memory: MemoryRecord, embedder_key: str) -> Record:
    return Record(
        id=memory.id,
        text=memory.content,
        vector=memory.embedding or [],
        source=scope_source(memory.scope),
        meta={
            "scope": memory.scope,
            "categories": memory.categories,
            "metadata": memory.metadata,
            "importance": memory.importance,
            "last_accessed": memory.last_accessed.isoformat(),
            "origin": memory.source,
            "private": memory.private,
            "embedder": embedder_key,
        },
        created_at=_aware_utc(memory.created_at),
    )


def to_memory(record: Record) -> MemoryRecord:
    meta = record.meta
    return MemoryRecord(
        id=record.id,
        content=record.text,
        scope=meta.get("scope", "/"),
        categories=meta.get("categories", []),
        metadata=meta.get("metadata", {}),
        importance=meta.get("importance", 0.5),
        created_at=_naive_utc(record.created_at),
        last_accessed=datetime.fromisoformat(meta["last_accessed"])
        if "last_accessed" in meta
        else _naive_utc(record.created_at),
        embedding=list(record.vector),
        source=meta.get("origin"),
        private=meta.get("private", False),
    )


def _matches(
    memory: MemoryRecord, categories: list[str] | None, metadata: dict[str, Any] | None
) -> bool:
    if categories and not any(c in memory.categories for c in categories):
        return False
    return not metadata or all(memory.metadata.get(k) == v for k, v in metadata.items())


class MemoryStorage:
    """crewai's `StorageBackend` protocol over a `LanceStore` (see the module docstring)."""

    def __init__(self, store: LanceStore, embedder_key: str) -> None:
        self.store = store
        self.embedder_key = embedder_key

    def _check_dimensions(self, vectors: list[list[float]]) -> None:
        """A store filled by another embedding model cannot be searched or extended."""
        stored = self.store.list(limit=1)
        if stored and vectors:
            for vector in vectors:
                if len(vector) != len(stored[0].vector):
                    raise EmbeddingDimensionMismatchError(len(stored[0].vector), len(vector))

    def save(self, records: list[MemoryRecord]) -> None:
        if not records:
            return
        self._check_dimensions([r.embedding or [] for r in records])
        self.store.add([to_record(r, self.embedder_key) for r in records])
        crewai_event_bus.emit(self, MemoryRecordsSaved(contents=[r.content for r in records]))

    def search(
        self,
        query_embedding: list[float],
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        metadata_filter: dict[str, Any] | None = None,
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[tuple[MemoryRecord, float]]:
        self._check_dimensions([query_embedding])
        filtered = bool(categories or metadata_filter)
        hits = self.store.search(
            query_embedding, limit * 3 if filtered else limit, _where(scope_prefix)
        )
        # crewai's scores lie in [0, 1] (its min_score 0 means "any"); cosine can go below 0.
        scored = [(to_memory(h.record), max(h.score, 0.0)) for h in hits]
        found = [(m, s) for m, s in scored if s >= min_score]
        return [(m, s) for m, s in found if _matches(m, categories, metadata_filter)][:limit]

    def delete(
        self,
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        record_ids: list[str] | None = None,
        older_than: datetime | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> int:
        if record_ids and not (categories or metadata_filter or older_than):
            return self.store.delete(ids=record_ids)
        chosen = [
            m.id
            for m in self._scan(scope_prefix)
            if _matches(m, categories, metadata_filter)
            and (older_than is None or m.created_at < _naive_utc(older_than))
            and (not record_ids or m.id in record_ids)
        ]
        return self.store.delete(ids=chosen) if chosen else 0

    def update(self, record: MemoryRecord) -> None:
        self.store.delete(ids=[record.id])
        self.store.add([to_record(record, self.embedder_key)])

    def get_record(self, record_id: str) -> MemoryRecord | None:
        found = self.store.get(record_id)
        return to_memory(found) if found is not None else None

    def list_records(
        self, scope_prefix: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[MemoryRecord]:
        return [to_memory(r) for r in self.store.list(_where(scope_prefix), limit, offset)]

    def _scan(self, scope_prefix: str | None) -> list[MemoryRecord]:
        return self.list_records(scope_prefix, SCAN_LIMIT)

    def get_scope_info(self, scope: str) -> ScopeInfo:
        path = scope_source(scope).rstrip("/") or "/"
        memories = self._scan(scope)
        dates = [m.created_at for m in memories]
        return ScopeInfo(
            path=path,
            record_count=len(memories),
            categories=sorted({c for m in memories for c in m.categories}),
            oldest_record=min(dates, default=None),
            newest_record=max(dates, default=None),
            child_scopes=self._children(path, memories),
        )

    @staticmethod
    def _children(parent: str, memories: list[MemoryRecord]) -> list[str]:
        prefix = scope_source(parent)
        children = set()
        for memory in memories:
            source = scope_source(memory.scope)
            if source.startswith(prefix) and source != prefix:
                children.add(prefix + source[len(prefix) :].split("/", 1)[0])
        return sorted(children)

    def list_scopes(self, parent: str = "/") -> list[str]:
        return self._children(parent, self._scan(parent))

    def list_categories(self, scope_prefix: str | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for memory in self._scan(scope_prefix):
            for category in memory.categories:
                counts[category] = counts.get(category, 0) + 1
        return counts

    def count(self, scope_prefix: str | None = None) -> int:
        return self.store.count(_where(scope_prefix))

    def reset(self, scope_prefix: str | None = None) -> None:
        self.store.delete(where=_where(scope_prefix) or Where(prefix="/"))

    async def asave(self, records: list[MemoryRecord]) -> None:
        self.save(records)

    async def asearch(
        self,
        query_embedding: list[float],
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        metadata_filter: dict[str, Any] | None = None,
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[tuple[MemoryRecord, float]]:
        return self.search(
            query_embedding, scope_prefix, categories, metadata_filter, limit, min_score
        )

    async def adelete(
        self,
        scope_prefix: str | None = None,
        categories: list[str] | None = None,
        record_ids: list[str] | None = None,
        older_than: datetime | None = None,
        metadata_filter: dict[str, Any] | None = None,
    ) -> int:
        return self.delete(scope_prefix, categories, record_ids, older_than, metadata_filter)
