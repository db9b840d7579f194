"""What a task is made of, shared by the library and by crew documents.

The field names match `kasal.engine.spec.TaskSpec`. A library task has no `agent` and
no `context`: both name other members of a crew, so they only exist inside one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints

from kasal.agents.schemas import MAX_TOOLS, LongText, Strict, ToolUse
from kasal.engine.spec import TaskApproval

TaskName = Annotated[str, StringConstraints(max_length=200)]
# CrewAI's `output_file`: where the task's output is written, relative to the run folder.
OutputFile = Annotated[str, StringConstraints(max_length=500)]


class TaskFields(Strict):
    name: TaskName = ""
    description: LongText = ""
    expected_output: LongText = ""
    tools: list[ToolUse] = Field(default_factory=list, max_length=MAX_TOOLS)
    async_execution: bool = False
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    markdown: bool = False
    human_input: bool = False
    approval: TaskApproval | None = Field(
        None, description="How the pause after the task (human_input) asks; defaults if absent"
    )
    output_file: OutputFile | None = None


class TaskCreate(TaskFields):
    pass


class TaskUpdate(TaskFields):
    """A full replacement (PUT): omitted fields take their defaults."""


class TaskRead(TaskFields):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
