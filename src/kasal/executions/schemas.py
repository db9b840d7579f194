"""Request and response bodies of the executions API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasal.core.db import MAX_INT
from kasal.events import EventType
from kasal.executions.models import Status

InputValue = Annotated[str, Field(max_length=100_000)]
# A run's inputs as a request gives them (a schedule and a trigger's fire too).
Inputs = Annotated[dict[str, InputValue], Field(max_length=200)]


class ExecutionCreate(BaseModel):
    """A run of a crew (`crew_id`) or of a flow (`flow_id`): exactly one of the two."""

    crew_id: uuid.UUID | None = None
    flow_id: uuid.UUID | None = None
    version: Annotated[int | None, Field(ge=1, le=MAX_INT)] = None
    inputs: Inputs = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_target(self) -> ExecutionCreate:
        if (self.crew_id is None) == (self.flow_id is None):
            raise ValueError("Give exactly one of crew_id and flow_id")
        return self


class UsageRead(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ExecutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    crew_id: uuid.UUID | None
    flow_id: uuid.UUID | None = Field(None, description="A flow run's flow (crew_id is null)")
    crew_name: str
    crew_version: int
    status: Status
    inputs: dict[str, Any]
    result: str | None
    task_outputs: dict[str, Any]
    usage: UsageRead
    cost: float | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    execution_id: uuid.UUID
    seq: int
    type: EventType
    ts: datetime
    task_key: str | None
    agent_key: str | None
    step_key: str | None = Field(None, description="The flow step whose crew it happened in")
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[EventRead]
    last_seq: int = Field(description="Pass as `after` to continue where this page ends")
    status: Status


class Span(BaseModel):
    id: str
    parent_id: str | None
    kind: Literal["flow", "step", "crew", "task", "agent", "llm", "tool"]
    name: str
    start: datetime
    end: datetime | None
    duration_ms: int | None
    tokens: int | None
    status: Literal["running", "completed", "failed"]


class Trace(BaseModel):
    spans: list[Span]


class RunFile(BaseModel):
    path: str = Field(description="Relative to the run folder; the download URL's tail")
    size: int = Field(description="Bytes")
    media_type: str
    modified_at: datetime


class RunFiles(BaseModel):
    """The files a run left in its folder (task output files, what agents wrote)."""

    files: list[RunFile] = Field(description="Sorted by path")
    truncated: bool = Field(description="True when the folder holds more than are listed")
