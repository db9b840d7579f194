"""What an agent is made of, shared by the library and by crew documents.

The field names match `kasal.engine.spec.AgentSpec`, so an agent of a crew document
converts to the engine's spec without any renaming.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

SHORT_TEXT = 1_000
LONG_TEXT = 20_000
MAX_TOOLS = 50

ShortText = Annotated[str, StringConstraints(max_length=SHORT_TEXT)]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT)]
ModelKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not be silently dropped.

    No text may hold a NUL character: PostgreSQL refuses it in text and JSON. The HTTP edge
    already refuses NULs in requests; this catches those that only appear once a file is
    parsed (a `"\\0"` escape in an imported YAML), so an import says where instead of failing
    on the database.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError("must not contain a NUL character (\\u0000)")
        return value


def _holds_nul(value: Any) -> bool:
    """Whether text in `value` holds a NUL; nested models have checked their own fields."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


class ToolUse(Strict):
    """One tool given to an agent or a task, with its per-use configuration."""

    tool_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    config: dict[str, Any] = Field(default_factory=dict)


class AgentFields(Strict):
    role: ShortText = ""
    goal: LongText = ""
    backstory: LongText = ""
    llm: ModelKey | None = None
    tools: list[ToolUse] = Field(default_factory=list, max_length=MAX_TOOLS)
    allow_delegation: bool = False
    max_iter: int = Field(20, ge=1, le=1_000)
    max_rpm: int | None = Field(None, ge=1, le=100_000)
    max_execution_time: int | None = Field(None, ge=1, le=86_400, description="Seconds")
    reasoning: bool = False
    verbose: bool = False


class AgentCreate(AgentFields):
    pass


class AgentUpdate(AgentFields):
    """A full replacement (PUT): omitted fields take their defaults."""


class AgentRead(AgentFields):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
