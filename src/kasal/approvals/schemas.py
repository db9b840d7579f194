"""Request and response bodies of the approvals API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kasal.approvals.models import ApprovalStatus
from kasal.engine.spec import Decision

Listed = Literal["pending", "answered", "all"]
Comment = Annotated[str, Field(max_length=10_000)]


class ApprovalAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    comment: Comment | None = None
    reply: Annotated[str, Field(max_length=100_000)] | None = Field(
        None, description="The feedback the task runs again with; required for `reply`"
    )

    @model_validator(mode="after")
    def _reply_has_text(self) -> ApprovalAnswer:
        if self.decision == "reply" and not (self.reply or "").strip():
            raise ValueError("A reply needs its text in `reply`")
        return self


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    execution_id: uuid.UUID
    execution_name: str
    status: ApprovalStatus
    question: str
    output: str = Field(description="What is under review, as Markdown")
    answers: list[Decision]
    role: Literal["operator", "editor", "admin"] = Field(
        description="The least role that may answer"
    )
    step_key: str | None
    task_key: str | None
    timeout_at: datetime | None
    on_timeout: Literal["approve", "reject"]
    decision: Decision | None
    comment: str | None
    reply: str | None
    answered_by: uuid.UUID | None = Field(description="Who answered; null for a timeout")
    timed_out: bool
    answered_at: datetime | None
    created_at: datetime


class PendingCount(BaseModel):
    pending: int
