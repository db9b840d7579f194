"""Request and response bodies of the knowledge endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kasal.agents.schemas import LongText, ModelKey, Strict
from kasal.engine.embeddings import OFFLINE_MODEL
from kasal.knowledge.models import FileStatus

BaseName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ChunkSize = Annotated[int, Field(ge=200, le=8_000, description="Characters per chunk")]
ChunkOverlap = Annotated[
    int, Field(ge=0, le=2_000, description="Characters a chunk repeats of the one before")
]
DEFAULT_CHUNK_SIZE = 1_000
DEFAULT_CHUNK_OVERLAP = 150


class KnowledgeBaseCreate(Strict):
    name: BaseName
    description: LongText = ""
    embedding_model: ModelKey = Field(
        OFFLINE_MODEL, description="Key of an embedding model of the group's catalog"
    )
    chunk_size: ChunkSize = DEFAULT_CHUNK_SIZE
    chunk_overlap: ChunkOverlap = DEFAULT_CHUNK_OVERLAP

    @model_validator(mode="after")
    def _overlap_fits(self) -> KnowledgeBaseCreate:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_size")
        return self


class KnowledgeBaseUpdate(Strict):
    """Only what is sent changes. The embedding model and the chunking are fixed when the
    base is made: chunks embedded by one model cannot be searched with another's vectors
    (make a new base and upload the files again to change them)."""

    name: BaseName | None = None
    description: LongText | None = None


class FileCounts(BaseModel):
    queued: int = 0
    processing: int = 0
    ready: int = 0
    failed: int = 0


class KnowledgeBaseRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    embedding_model: str
    chunk_size: int
    chunk_overlap: int
    files: FileCounts = Field(description="How many files are in each status")
    created_at: datetime
    updated_at: datetime


class KnowledgeFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    base_id: uuid.UUID
    name: str
    size: int = Field(description="Bytes")
    content_type: str
    status: FileStatus
    error: str | None = Field(description="Why ingestion failed, when it did")
    chunks_done: int = Field(description="Chunks embedded and stored so far")
    chunks_total: int | None = Field(description="Chunks of the file; null until it is chunked")
    created_at: datetime
    updated_at: datetime


class SearchRequest(Strict):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000)]
    k: int = Field(5, ge=1, le=50, description="How many chunks to answer")


class SearchHit(BaseModel):
    text: str
    score: float = Field(description="Cosine similarity to the query, 1 = same direction")
    file_id: uuid.UUID
    file_name: str
    page: int | None = Field(description="The PDF page the chunk is from")
    section: str | None = Field(description="The heading the chunk is under")
    chunk: int = Field(description="The chunk's number in its file, from 0")


class SearchResult(BaseModel):
    hits: list[SearchHit]
