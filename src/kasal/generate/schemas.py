"""The generate request, the design a model answers with, and the streamed events.

`CrewDesign` is what the model is asked for (its JSON schema goes to the provider as the
structured-output format): only what a model can sensibly choose. Kasal adds the rest
(each agent's model, tool configuration, the layout) when it turns a design into a crew
document, which then goes through the crews domain's own validation and save.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kasal.agents.schemas import LONG_TEXT, SHORT_TEXT, ModelKey
from kasal.core.db import MAX_INT
from kasal.core.openapi import ErrorInfo
from kasal.crews.schemas import KEY_PATTERN, CrewAgent, CrewName, CrewRead, CrewTask, Position

MAX_PROMPT = 4_000
MAX_DESIGN_AGENTS = 12
MAX_DESIGN_TASKS = 20

Prompt = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROMPT)
]
DesignKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Short = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT)
]
Long = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT)]
Text = Annotated[str, StringConstraints(max_length=LONG_TEXT)]


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: Prompt = Field(description="What the crew should do, or (with crew_id) the change")
    model: ModelKey | None = Field(
        None, description="The chat model that designs (default: the group's default model)"
    )
    crew_id: uuid.UUID | None = Field(None, description="Refine this crew: a new version")
    version: Annotated[int | None, Field(ge=1, le=MAX_INT)] = Field(
        None, description="With crew_id: the version the change is based on (409 if moved on)"
    )


# ---------------------------------------------------------------- what the model answers


class _Design(BaseModel):
    # Extra fields are ignored: a model adding a remark must not fail a good design.
    model_config = ConfigDict(extra="ignore")


class DesignAgent(_Design):
    key: DesignKey = Field(description="Short id, e.g. researcher (letters, digits, _ and -)")
    role: Short
    goal: Long
    backstory: Text = ""
    tools: list[str] = Field(default_factory=list, description="Tool ids from the list offered")


class DesignTask(_Design):
    key: DesignKey = Field(description="Short id, unique among agents and tasks")
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    description: Long = Field(description="What to do; {placeholders} become the crew's inputs")
    expected_output: Long
    agent: DesignKey = Field(description="The key of the agent doing it")
    context: list[DesignKey] = Field(
        default_factory=list, description="Keys of earlier tasks whose output this one uses"
    )


class CrewDesign(_Design):
    name: CrewName
    description: Text = ""
    agents: list[DesignAgent] = Field(min_length=1, max_length=MAX_DESIGN_AGENTS)
    tasks: list[DesignTask] = Field(
        min_length=1, max_length=MAX_DESIGN_TASKS, description="In the order they run"
    )
    default_inputs: dict[str, Text] = Field(
        default_factory=dict, description="An example value for each {placeholder}"
    )
    summary: Text = Field(
        "", description="One or two sentences: what the crew does or what changed"
    )


# ---------------------------------------------------------------- the streamed events


class StartedEvent(BaseModel):
    type: Literal["started"] = "started"
    model: str
    crew_id: uuid.UUID | None
    based_on: int | None = Field(description="The version a refinement starts from")
    offline: bool = Field(description="The offline demo designer (a template, not an LLM)")


class AgentEvent(BaseModel):
    type: Literal["agent"] = "agent"
    agent: CrewAgent
    position: Position


class TaskEvent(BaseModel):
    type: Literal["task"] = "task"
    task: CrewTask
    position: Position


class RepairEvent(BaseModel):
    type: Literal["repair"] = "repair"
    problems: list[str] = Field(description="Why the first answer was refused; a new one streams")


class DoneEvent(BaseModel):
    type: Literal["done"] = "done"
    crew: CrewRead
    created: bool = Field(description="A new crew (else a new version of crew_id)")
    summary: str
    changes: list[str]
    repaired: bool


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    error: ErrorInfo


GenerateEvent = Annotated[
    StartedEvent | AgentEvent | TaskEvent | RepairEvent | DoneEvent | ErrorEvent,
    Field(discriminator="type"),
]
