"""Request and response bodies of the tools endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kasal.engine.tools.catalog import Category


class ToolCredential(BaseModel):
    provider: str = Field(description="The API-key provider (see /api-keys)")
    configured: bool = Field(description="Whether the group has stored a key for it")


class ToolRead(BaseModel):
    id: str
    name: str
    category: Category
    description: str
    config_schema: dict[str, Any] = Field(description="JSON schema of a use's configuration")
    credentials: list[ToolCredential] = Field(
        description="Keys a use may need; which one depends on its configuration"
    )
    caution: str | None = Field(description="What to know before enabling it")
    enabled: bool


class ToolUpdate(BaseModel):
    enabled: bool
