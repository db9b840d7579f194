"""Searching knowledge bases: a question in, the nearest chunks out, each with its source.

A base's chunks are records of a `VectorStore` (`source` = the file's id, `meta` = the file's
name, the page or section and the chunk's number in the file). A query is embedded by the
model that embedded the base, so bases on different models are searched one by one and
their hits merged by score. The API's search box and the agents' `knowledge_search` tool
both search through here; nothing here imports crewai.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kasal.engine.embeddings import embedder_for
from kasal.engine.spec import KnowledgeBaseConfig
from kasal.engine.vectors import Hit, LanceStore

VECTORS = "vectors"  # the LanceDB folder inside a base's folder


@dataclass(frozen=True)
class KnowledgeHit:
    """One chunk found for a query, with where it comes from."""

    text: str
    score: float
    base_id: str
    base_name: str
    file_id: str
    file_name: str
    page: int | None
    section: str | None
    chunk: int

    def where(self) -> str:
        """The source as a reader cites it: `guide.pdf, page 3` or `notes.md, § Setup`."""
        if self.page is not None:
            return f"{self.file_name}, page {self.page}"
        if self.section:
            return f"{self.file_name}, § {self.section}"
        return self.file_name

    def summary(self) -> dict[str, Any]:
        """What the event log keeps of a hit: its source and score, not the whole text."""
        return {
            "base_id": self.base_id,
            "base": self.base_name,
            "file_id": self.file_id,
            "file": self.file_name,
            "page": self.page,
            "section": self.section,
            "score": round(self.score, 4),
        }


def search(bases: Sequence[KnowledgeBaseConfig], query: str, k: int) -> list[KnowledgeHit]:
    """The `k` best chunks of `bases` for `query`, best first. Raises EmbeddingError when a
    base's model cannot be reached, InvalidSpec when it cannot embed."""
    found: list[KnowledgeHit] = []
    for base in bases:
        vector = embedder_for(base.embedder).embed([query])[0]
        store = LanceStore(Path(base.folder) / VECTORS)
        found += [_hit(base, hit) for hit in store.search(vector, k)]
    found.sort(key=lambda hit: hit.score, reverse=True)
    return found[:k]


def _hit(base: KnowledgeBaseConfig, hit: Hit) -> KnowledgeHit:
    meta = hit.record.meta
    return KnowledgeHit(
        text=hit.record.text,
        score=hit.score,
        base_id=base.id,
        base_name=base.name,
        file_id=hit.record.source,
        file_name=str(meta.get("file_name", "")),
        page=meta.get("page"),
        section=meta.get("section"),
        chunk=int(meta.get("chunk", 0)),
    )
