"""Request and response bodies of the tools endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ToolRead(BaseModel):
    id: str
    name: str
    description: str
    config_schema: dict[str, Any] = Field(description="JSON schema of a use's configuration")
    enabled: bool


class ToolUpdate(BaseModel):
    enabled: bool
