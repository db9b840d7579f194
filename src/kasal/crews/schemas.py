"""The crew document and the shapes around it.

`CrewBody` is what a user edits and what every version stores. `edges`, `inputs` and
`problems` are derived from it on every read: a client may send them back (a `PUT` of
what a `GET` returned is a valid save) and they are ignored.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from kasal.agents.schemas import AgentFields, LongText, ModelKey, Strict
from kasal.engine.spec import MemorySetting
from kasal.tasks.schemas import TaskFields

KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
KEY_RE = re.compile(KEY_PATTERN)
MAX_AGENTS = 100
MAX_TASKS = 200
MAX_LAYOUT_NODES = 1_000
MAX_KNOWLEDGE = 20

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
CrewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Process = Literal["sequential", "hierarchical"]
Severity = Literal["error", "warning"]

# Derived or server-owned: a client may send them back, the server decides them.
DERIVED_FIELDS = frozenset(
    {"id", "version", "edges", "inputs", "problems", "created_at", "updated_at"}
)


class _Keyed(Strict):
    key: Key


# The id of one of the group's knowledge bases (`/api/v1/knowledge`); the rules check it.
KnowledgeIds = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64)]],
    Field(max_length=MAX_KNOWLEDGE, description="Ids of knowledge bases to search"),
]


class CrewAgent(AgentFields, _Keyed):
    """An agent of one crew. `key` names it within the crew (tasks refer to it)."""

    knowledge: KnowledgeIds = Field(default_factory=list)


class CrewTask(TaskFields, _Keyed):
    agent: Key | None = None
    context: list[Key] = Field(default_factory=list, max_length=MAX_TASKS)


class Position(Strict):
    x: float = 0
    y: float = 0


class Viewport(Strict):
    x: float = 0
    y: float = 0
    zoom: float = Field(1, gt=0, le=100)


class Layout(Strict):
    nodes: dict[Key, Position] = Field(default_factory=dict, max_length=MAX_LAYOUT_NODES)
    viewport: Viewport = Field(default_factory=Viewport)


InputName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CrewSettings(Strict):
    description: LongText = ""
    default_inputs: dict[InputName, LongText] = Field(
        default_factory=dict,
        max_length=200,
        description="Values a run takes for `{inputs}` it is not given (e.g. main.py's)",
    )
    process: Process = "sequential"
    manager_llm: ModelKey | None = None
    planning: bool = False
    memory: MemorySetting = Field(
        "off",
        description="off; run (the run's own); crew (every run of this crew); "
        "group (the group's crews). Older documents' true/false mean run/off.",
    )
    embedder: ModelKey | None = None
    max_rpm: int | None = Field(None, ge=1, le=100_000)
    verbose: bool = False
    knowledge: KnowledgeIds = Field(default_factory=list)


class CrewBody(CrewSettings):
    """The editable document: exactly what a version stores."""

    name: CrewName
    agents: list[CrewAgent] = Field(default_factory=list, max_length=MAX_AGENTS)
    tasks: list[CrewTask] = Field(default_factory=list, max_length=MAX_TASKS)
    layout: Layout = Field(default_factory=Layout)

    @model_validator(mode="after")
    def _keys_are_unique(self) -> CrewBody:
        keys = Counter([a.key for a in self.agents] + [t.key for t in self.tasks])
        repeated = sorted(key for key, count in keys.items() if count > 1)
        if repeated:
            raise ValueError(
                "Agents and tasks share one key space; these keys are used more than once: "
                + ", ".join(repeated)
            )
        return self


def _drop_derived(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in DERIVED_FIELDS}
    return data


class CrewCreate(CrewBody):
    @model_validator(mode="before")
    @classmethod
    def _ignore_derived(cls, data: Any) -> Any:
        return _drop_derived(data)


class CrewReplace(CrewBody):
    """A `PUT`: the whole document plus the version it was based on."""

    version: int = Field(ge=1, description="The version this edit started from")

    @model_validator(mode="before")
    @classmethod
    def _ignore_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**_drop_derived(data), "version": data.get("version")}
        return data


class CrewPatch(Strict):
    """A `PATCH`: the fields to change (lists and layout are replaced whole)."""

    version: int = Field(ge=1, description="The version this edit started from")
    name: CrewName | None = None
    description: LongText | None = None
    process: Process | None = None
    manager_llm: ModelKey | None = None
    planning: bool | None = None
    memory: MemorySetting | None = None
    embedder: ModelKey | None = None
    max_rpm: int | None = Field(None, ge=1, le=100_000)
    verbose: bool | None = None
    knowledge: KnowledgeIds | None = None
    agents: list[CrewAgent] | None = Field(None, max_length=MAX_AGENTS)
    tasks: list[CrewTask] | None = Field(None, max_length=MAX_TASKS)
    layout: Layout | None = None


class BasedOn(Strict):
    """An optional guard for restore: refuse if the crew moved past this version."""

    version: int | None = Field(None, ge=1)


class DuplicateRequest(Strict):
    name: CrewName | None = None


class Edge(BaseModel):
    id: str
    source: str
    target: str
    kind: Literal["assignment", "context"]


class Problem(BaseModel):
    pointer: str = Field(description="JSON pointer to the field at fault")
    code: str
    message: str
    severity: Severity


class ValidationReport(BaseModel):
    problems: list[Problem]
    inputs: list[str]


class CrewRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    default_inputs: dict[str, str]
    version: int
    process: Process
    manager_llm: str | None
    planning: bool
    memory: MemorySetting
    embedder: str | None
    max_rpm: int | None
    verbose: bool
    knowledge: list[str]
    agents: list[CrewAgent]
    tasks: list[CrewTask]
    edges: list[Edge]
    layout: Layout
    inputs: list[str]
    problems: list[Problem]
    created_at: datetime
    updated_at: datetime


class ImportNote(BaseModel):
    """Something an import could not carry over as written, with the file and line."""

    file: str
    line: int | None
    message: str


class CrewImported(CrewRead):
    """An imported crew and the notes on what it left out. `blocking` are the crew's
    blocking problems again, at the file and line they come from."""

    notes: list[ImportNote]
    blocking: list[ImportNote]


class CrewVersionRead(CrewRead):
    """A crew as one version stored it. `updated_at` is when that version was saved."""

    author_email: str | None


class CrewSummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    version: int
    process: Process
    agent_count: int
    task_count: int
    created_at: datetime
    updated_at: datetime


class VersionSummary(BaseModel):
    version: int
    created_at: datetime
    author_email: str | None


CrewSort = Literal["name", "-name", "updated_at", "-updated_at"]
