"""What the API answers, as typed objects.

These mirror the server's response schemas but are the client's own: they accept fields
a newer server adds (`extra="allow"`), so an older script keeps working, and they import
nothing of the server (no database, no crewai).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kasal.events import FINAL_EVENTS, EventType

T = TypeVar("T")

ExecutionStatus = Literal[
    "queued",
    "running",
    "waiting",  # paused for a person's answer (GET /api/v1/approvals)
    "cancelling",
    "succeeded",
    "failed",
    "cancelled",
    "interrupted",
]
FINISHED_STATUSES = frozenset({"succeeded", "failed", "cancelled", "interrupted"})


class APIModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class Page(APIModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class User(APIModel):
    id: uuid.UUID
    email: str
    name: str
    is_admin: bool = False
    personal_group_id: uuid.UUID | None = None


class Model(APIModel):
    """A model of the group's catalog; agents name it by `key`."""

    key: str
    provider: str
    model: str
    kind: str = "chat"
    label: str = ""
    enabled: bool = True
    has_key: bool = True


class ToolUse(APIModel):
    tool_id: str
    config: dict[str, Any] = Field(default_factory=dict)


class CrewAgent(APIModel):
    key: str
    role: str = ""
    goal: str = ""
    backstory: str = ""
    llm: str | None = None
    tools: list[ToolUse] = Field(default_factory=list)
    allow_delegation: bool = False
    max_iter: int = 20
    max_rpm: int | None = None
    max_execution_time: int | None = None
    reasoning: bool = False
    verbose: bool = False
    knowledge: list[str] = Field(default_factory=list)  # ids of the group's knowledge bases


class CrewTask(APIModel):
    key: str
    name: str = ""
    description: str = ""
    expected_output: str = ""
    agent: str | None = None
    context: list[str] = Field(default_factory=list)
    tools: list[ToolUse] = Field(default_factory=list)
    async_execution: bool = False
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    markdown: bool = False
    human_input: bool = False
    approval: dict[str, Any] | None = None  # a human_input task's approval settings
    output_file: str | None = None


class Problem(APIModel):
    pointer: str = ""
    code: str
    message: str
    severity: Literal["error", "warning"] = "error"


# Fields of a crew that the server derives or owns: never part of a document sent back.
DERIVED_CREW_FIELDS = frozenset(
    {"id", "version", "edges", "inputs", "problems", "created_at", "updated_at", "author_email"}
)


class CrewDocument(APIModel):
    """The editable part of a crew: what `crews.create` and `crews.update` take."""

    name: str
    description: str = ""
    default_inputs: dict[str, str] = Field(default_factory=dict)
    process: Literal["sequential", "hierarchical"] = "sequential"
    manager_llm: str | None = None
    planning: bool = False
    memory: Literal["off", "run", "crew", "group"] | bool = "off"  # bool: older servers
    embedder: str | None = None
    max_rpm: int | None = None
    verbose: bool = False
    knowledge: list[str] = Field(default_factory=list)  # ids of the group's knowledge bases
    agents: list[CrewAgent] = Field(default_factory=list)
    tasks: list[CrewTask] = Field(default_factory=list)
    layout: dict[str, Any] = Field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """As JSON, without the fields the server derives."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if k not in DERIVED_CREW_FIELDS}


class Crew(CrewDocument):
    """A crew as the server stores it: the editable document plus derived fields."""

    id: uuid.UUID
    version: int
    inputs: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def errors(self) -> list[Problem]:
        """The problems that block a run."""
        return [p for p in self.problems if p.severity == "error"]


class ImportNote(APIModel):
    """A remark on an imported file, at its file and line."""

    file: str = ""
    line: int | None = None
    message: str

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part)
        return f"{where}: {self.message}" if where else self.message


class ImportedCrew(Crew):
    """What an import created, with what it left out (`notes`) and the crew's blocking
    problems at their file and line (`blocking`)."""

    notes: list[ImportNote] = Field(default_factory=list)
    blocking: list[ImportNote] = Field(default_factory=list)


class CrewSummary(APIModel):
    id: uuid.UUID
    name: str
    description: str = ""
    version: int
    process: str = "sequential"
    agent_count: int = 0
    task_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Usage(APIModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Execution(APIModel):
    id: uuid.UUID
    crew_id: uuid.UUID | None = None
    flow_id: uuid.UUID | None = None  # a flow run: crew_name and crew_version are the flow's
    crew_name: str = ""
    crew_version: int | None = None
    status: ExecutionStatus
    inputs: dict[str, Any] = Field(default_factory=dict)
    result: str | None = None
    task_outputs: dict[str, Any] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    cost: float | None = None
    error: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class Event(APIModel):
    """One entry of an execution's event log; `seq` numbers them 1, 2, 3... with no gap."""

    execution_id: uuid.UUID
    seq: int
    # A type this client does not know yet (a newer server's) stays a plain string.
    type: EventType | str = Field(union_mode="left_to_right")
    ts: datetime
    task_key: str | None = None
    agent_key: str | None = None
    step_key: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        """The execution's last event: it ended (succeeded, failed, cancelled, interrupted)."""
        return self.type in FINAL_EVENTS


class EventPage(APIModel):
    items: list[Event]
    last_seq: int
    status: ExecutionStatus
