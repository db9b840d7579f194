"""The tools of MCP servers (`mcp:<server>`, `mcp:<server>/<tool>`) for one run.

A run connects once to each server its crew uses, before the crew is built, and keeps the
sessions for as long as it lasts (`connected`, entered by `engine.run`): a stdio server is
started for the run and stopped when it ends or is cancelled. The sessions live on the
run's event loop; crewai calls a tool's `_run` from one of its threads, which hands the call
to that loop and waits, bounded by the server's call timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crewai.tools import BaseTool
from crewai.utilities.pydantic_schema_utils import create_model_from_schema
from crewai.utilities.string_utils import sanitize_tool_name
from mcp import ClientSession
from mcp.shared.exceptions import McpError
from pydantic import BaseModel, ConfigDict, Field

from kasal.engine.spec import McpServerConfig, RunRequest
from kasal.engine.tools import mcp_client as mcp
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.refs import SourceFacts, SourceRef

# Beyond the server's own call timeout, how long a tool waits for the session to give up.
_CALL_MARGIN_S = 5.0


@dataclass(frozen=True)
class ConnectedServer:
    """One server a run is connected to: its session, on the run's loop, and its tools."""

    config: McpServerConfig
    session: ClientSession
    tools: list[mcp.McpToolInfo]
    loop: asyncio.AbstractEventLoop

    def tool_name(self, tool: str) -> str:
        """The name the model sees: the server's name first, so two servers never clash."""
        return sanitize_tool_name(f"{self.config.name}_{tool}")

    def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """Call from any thread but the loop's own (it would wait on itself forever)."""
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            raise ToolError("An MCP tool cannot be called from the run's own event loop.")
        future = asyncio.run_coroutine_threadsafe(self._call(tool, arguments), self.loop)
        try:
            return future.result(timeout=self.config.call_timeout_s + _CALL_MARGIN_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise self._failure(tool, "it did not answer in time") from None

    async def _call(self, tool: str, arguments: dict[str, Any]) -> str:
        try:
            result = await self.session.call_tool(tool, arguments)
        except McpError as exc:  # a timeout, a closed connection, an unknown tool...
            raise self._failure(tool, str(exc)) from None
        text = mcp.result_text(result)
        if result.isError:
            raise self._failure(tool, text or "it reported an error")
        return text

    def _failure(self, tool: str, why: str) -> ToolError:
        return ToolError(f"The MCP tool {tool!r} of server {self.config.name!r} failed: {why}")


@asynccontextmanager
async def connected(request: RunRequest) -> AsyncIterator[dict[str, ConnectedServer]]:
    """The run's servers, connected, by name. McpUnavailable when one cannot be reached.

    A stdio server without a folder of its own runs in the run's folder.
    """
    work_dir = Path(request.work_dir)
    if request.mcp_servers:
        await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    loop = asyncio.get_running_loop()
    servers: dict[str, ConnectedServer] = {}
    async with AsyncExitStack() as stack:
        token = request.databricks.token if request.databricks is not None else None
        for name, given in request.mcp_servers.items():
            config = mcp.with_databricks_token(given, token)
            session = await stack.enter_async_context(
                mcp.connect(config, allow_private=request.tools.http_allow_private, cwd=work_dir)
            )
            try:
                tools = await mcp.list_tools(session)
            except McpError as exc:
                raise mcp.McpUnavailable(mcp.describe(config, exc)) from None
            servers[name] = ConnectedServer(config, session, tools, loop)
        yield servers


def source_facts(servers: Mapping[str, ConnectedServer]) -> dict[tuple[str, str], SourceFacts]:
    """What the crew rules may know of the run's servers: the tools they offer right now."""
    return {
        ("mcp", name): SourceFacts(enabled=True, tools=frozenset(t.name for t in server.tools))
        for name, server in servers.items()
    }


class McpServerTool(BaseTool):
    """One tool of a connected MCP server; its result (or failure) goes to the model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    server: ConnectedServer = Field(exclude=True)
    remote_name: str

    def _run(self, **arguments: Any) -> str:
        return self.server.call(self.remote_name, arguments)


def build(ref: SourceRef, ctx: ToolContext) -> list[BaseTool]:
    """The tools `ref` names. The rules checked before the build that they exist."""
    server = ctx.mcp_servers[ref.source]
    return [_tool(server, info) for info in server.tools if ref.tool in (None, info.name)]


def _tool(server: ConnectedServer, info: mcp.McpToolInfo) -> McpServerTool:
    name = server.tool_name(info.name)
    return McpServerTool(
        name=name,
        description=info.description or f"The tool {info.name} of MCP server {server.config.name}.",
        args_schema=_arguments_model(name, info.input_schema),
        server=server,
        remote_name=info.name,
    )


def _arguments_model(name: str, schema: dict[str, Any]) -> type[BaseModel]:
    """The tool's input schema as a model (crewai checks the model's arguments with it); one
    crewai cannot convert takes any arguments and leaves the checking to the server."""
    try:
        return create_model_from_schema(schema, model_name=f"{name}_arguments")
    except (ValueError, TypeError, KeyError):
        return _AnyArguments


class _AnyArguments(BaseModel):
    model_config = ConfigDict(extra="allow")
