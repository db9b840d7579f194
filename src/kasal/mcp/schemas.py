"""Request and response bodies of the MCP server endpoints. Env values and header values go
in, never out: a read names the ones that are set."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from kasal.engine.spec import McpTransport

# The handle in tool lists (`mcp:<name>/<tool>`), so no ':' or '/'.
ServerName = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", min_length=1, max_length=64)
]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")]
SecretText = Annotated[SecretStr, Field(max_length=8192)]
ConnectTimeout = Annotated[float, Field(gt=0, le=120, description="Seconds to connect")]
CallTimeout = Annotated[float, Field(gt=0, le=3600, description="Seconds a tool call may take")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class McpServerCreate(_Body):
    name: ServerName = Field(description="Lower-case handle crews use: mcp:<name>")
    transport: McpTransport
    command: str | None = Field(None, max_length=1000, description="stdio: the executable")
    args: list[Annotated[str, Field(max_length=4000)]] = Field(default_factory=list, max_length=100)
    env: dict[EnvName, SecretText] = Field(
        default_factory=dict, max_length=100, description="stdio: variables, write-only"
    )
    cwd: str | None = Field(None, max_length=1000, description="stdio: absolute folder")
    url: str | None = Field(None, max_length=2000, description="sse / streamable_http")
    headers: dict[HeaderName, SecretText] = Field(
        default_factory=dict, max_length=100, description="sse / streamable_http, write-only"
    )
    connect_timeout_s: ConnectTimeout = 10.0
    call_timeout_s: CallTimeout = 60.0
    enabled: bool = True


class McpServerUpdate(_Body):
    """Only what is sent changes. In `env` and `headers`, a value replaces (or adds) that
    one entry and null removes it; entries not named are kept."""

    name: ServerName | None = None
    transport: McpTransport | None = None
    command: str | None = Field(None, max_length=1000)
    args: list[Annotated[str, Field(max_length=4000)]] | None = Field(None, max_length=100)
    env: dict[EnvName, SecretText | None] | None = Field(None, max_length=100)
    cwd: str | None = Field(None, max_length=1000)
    url: str | None = Field(None, max_length=2000)
    headers: dict[HeaderName, SecretText | None] | None = Field(None, max_length=100)
    connect_timeout_s: ConnectTimeout | None = None
    call_timeout_s: CallTimeout | None = None
    enabled: bool | None = None


class McpToolRead(BaseModel):
    name: str
    description: str
    input_schema: dict[str, Any]


class McpServerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    transport: McpTransport
    command: str | None
    args: list[str]
    cwd: str | None
    url: str | None
    env_names: list[str] = Field(description="The variables that are set (values never shown)")
    header_names: list[str] = Field(description="The headers that are set (values never shown)")
    connect_timeout_s: float
    call_timeout_s: float
    enabled: bool
    tool_count: int | None = Field(description="Tools found by the last test; null: never")
    discovered_at: datetime | None
    last_error: str | None = Field(description="Why the last test failed, if it did")
    created_at: datetime
    updated_at: datetime


class McpServerTools(BaseModel):
    """What a server offered when last tested (`ok` false: it could not be reached)."""

    ok: bool
    error: str | None = None
    discovered_at: datetime | None
    tools: list[McpToolRead]
