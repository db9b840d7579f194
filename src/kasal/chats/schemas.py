"""Request and response bodies of the chats API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kasal.agents.schemas import LONG_TEXT, ModelKey, Strict
from kasal.chats.models import MessageStatus
from kasal.crews.schemas import CrewName

TargetKind = Literal["crew", "agent"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT)
]


class ChatCreate(Strict):
    """A chat talks to exactly one target: a crew, or an agent of the group's library."""

    crew_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    title: Title | None = Field(None, description="Defaults to the target's name")
    model: ModelKey | None = Field(
        None, description="A chat model every agent of the target uses instead of its own"
    )

    @model_validator(mode="after")
    def _one_target(self) -> ChatCreate:
        if (self.crew_id is None) == (self.agent_id is None):
            raise ValueError("Give exactly one of crew_id and agent_id")
        return self

    @property
    def target(self) -> tuple[TargetKind, uuid.UUID]:
        if self.agent_id is not None:
            return "agent", self.agent_id
        return "crew", cast(uuid.UUID, self.crew_id)


class ChatUpdate(Strict):
    """Rename, or change the model (null: each agent's own model again)."""

    title: Title | None = None
    model: ModelKey | None = None


class ChatRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    target_kind: TargetKind
    crew_id: uuid.UUID | None = Field(description="Null once the crew is deleted")
    agent_id: uuid.UUID | None = Field(description="Null once the agent is deleted")
    target_name: str
    model: str | None
    created_at: datetime
    updated_at: datetime


class MessageCreate(Strict):
    content: MessageText


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    role: Literal["user", "assistant"]
    content: str
    status: MessageStatus
    error: str | None
    execution_id: uuid.UUID | None = Field(description="The run that answers (assistant only)")
    omitted: int = Field(
        description="Earlier messages the run left out to fit the model's context window"
    )
    created_at: datetime


class Turn(BaseModel):
    """A posted message and the answer being written: follow `assistant.execution_id`'s
    event stream for its tokens, then read the message again for the final text."""

    user: MessageRead
    assistant: MessageRead


class SaveAsCrew(Strict):
    name: CrewName | None = Field(None, description="Defaults to the chat's title")
