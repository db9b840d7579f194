"""Request and response bodies of the prompt templates endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_TEMPLATE = 20_000

TemplateText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEMPLATE, pattern=r"\S")
]


class TemplateRead(BaseModel):
    key: str
    description: str
    variables: list[str] = Field(description="The {{placeholders}} the text may use")
    content: str = Field(description="The text in use: the group's own, else the default")
    default_content: str
    overridden: bool = Field(description="Whether the group changed the default")
    updated_at: datetime | None = Field(description="When the group last changed it")


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: TemplateText
