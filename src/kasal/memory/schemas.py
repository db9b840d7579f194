"""What the memory API takes and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from kasal.memory.folders import SharedScope

MAX_LIMIT = 200


class MemoryQuery(BaseModel):
    """`GET /memory`: a crew's memories of one scope, newest first, or with `q` the best
    matches for `q` with their scores."""

    crew_id: uuid.UUID | None = Field(
        None, description="The crew: needed for scope crew and for a search (its embedder)"
    )
    scope: SharedScope | None = Field(
        None, description="crew or group; by default the crew's own memory setting"
    )
    q: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


MemoryQueryDep = Annotated[MemoryQuery, Query()]


class MemoryItem(BaseModel):
    id: str
    text: str
    path: str = Field(description="crewai's scope path inside the store (e.g. /project/x)")
    categories: list[str]
    importance: float
    created_at: datetime
    embedder: str | None = Field(description="Model key of the embedding model that indexed it")
    score: float | None = Field(None, description="Cosine similarity to q, when searching")


class MemoryList(BaseModel):
    scope: SharedScope
    total: int = Field(description="How many memories the scope holds")
    items: list[MemoryItem]


class MemoryReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: SharedScope
    crew_id: uuid.UUID | None = Field(None, description="Needed for scope crew")


class MemoryResetResult(BaseModel):
    scope: SharedScope
    deleted: int
