"""The flow document and the shapes around it.

`FlowBody` is what a user edits and what every version stores. The engine's shapes are
used as they are where the document and the engine mean the same (`Condition`,
`ApprovalSettings`); a crew step names a saved crew (`crew_id`, `crew_version` or the
latest), which is resolved into the crew's spec when a run starts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from kasal.agents.schemas import LongText, Strict
from kasal.core.db import MAX_INT
from kasal.crews.schemas import (
    CrewName,
    ImportNote,
    InputName,
    Key,
    Layout,
    Problem,
)
from kasal.engine.spec import ApprovalSettings, Condition

MAX_STEPS = 200
MAX_EDGES = 1_000
MAX_FLOW_INPUTS = 100

StepKind = Literal["crew", "router", "approval"]
# Server-owned: a client may send them back (a PUT of what a GET gave), they are ignored.
DERIVED_FIELDS = frozenset(
    {"id", "version", "problems", "created_at", "updated_at", "author_email", "crew_ids", "notes"}
)
Template = Annotated[str, StringConstraints(max_length=20_000)]


class FlowInput(Strict):
    """A value the flow is run with: `${inputs.<name>}` in templates and conditions."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    default: LongText = ""


class FlowStepBody(Strict):
    key: Key
    kind: StepKind
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    # crew: a saved crew of the group, at `crew_version` or the latest when a run starts
    crew_id: uuid.UUID | None = None
    crew_version: Annotated[int | None, Field(ge=1, le=MAX_INT)] = None
    inputs: dict[InputName, Template] = Field(
        default_factory=dict,
        max_length=200,
        description="Crew input → `${path}` template (flow inputs and earlier outputs)",
    )
    # approval: the output under review (a template) and who answers what
    review: Template = ""
    approval: ApprovalSettings | None = None


class FlowEdgeBody(Strict):
    """`source` → `target`; `when`/`default` out of a router, `on` out of an approval."""

    source: Key
    target: Key
    when: Condition | None = None
    default: bool = False
    on: Literal["approve", "reject"] | None = None


class FlowBody(Strict):
    """The editable document: exactly what a version stores."""

    name: CrewName
    description: LongText = ""
    inputs: list[FlowInput] = Field(default_factory=list, max_length=MAX_FLOW_INPUTS)
    steps: list[FlowStepBody] = Field(default_factory=list, max_length=MAX_STEPS)
    edges: list[FlowEdgeBody] = Field(default_factory=list, max_length=MAX_EDGES)
    layout: Layout = Field(default_factory=Layout)


def _drop_derived(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k not in DERIVED_FIELDS}
    return data


class FlowCreate(FlowBody):
    @model_validator(mode="before")
    @classmethod
    def _ignore_derived(cls, data: Any) -> Any:
        return _drop_derived(data)


class FlowReplace(FlowBody):
    """A `PUT`: the whole document plus the version it was based on."""

    version: int = Field(ge=1, le=MAX_INT, description="The version this edit started from")

    @model_validator(mode="before")
    @classmethod
    def _ignore_derived(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**_drop_derived(data), "version": data.get("version")}
        return data


class FlowRead(FlowBody):
    id: uuid.UUID
    version: int
    problems: list[Problem]
    created_at: datetime
    updated_at: datetime


class FlowVersionRead(FlowRead):
    """A flow as one version stored it. `updated_at` is when that version was saved."""

    author_email: str | None


class FlowImported(FlowRead):
    """An imported flow, the crews the import created for its crew steps, and notes on
    what their crews' import left out."""

    crew_ids: list[uuid.UUID]
    notes: list[ImportNote]


class FlowSummary(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    version: int
    step_count: int
    created_at: datetime
    updated_at: datetime


class FlowValidationReport(BaseModel):
    problems: list[Problem]
    inputs: list[str]
