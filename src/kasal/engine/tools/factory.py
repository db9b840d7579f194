"""ToolRefs → crewai tools for one run."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from crewai.tools import BaseTool

from kasal.engine.spec import ToolRef
from kasal.engine.tools import mcp
from kasal.engine.tools.base import ToolContext
from kasal.engine.tools.catalog import ToolConfig, parse_config
from kasal.engine.tools.clock import CurrentDatetimeTool
from kasal.engine.tools.files import FileReadTool, FileWriteTool
from kasal.engine.tools.http import HttpRequestTool
from kasal.engine.tools.refs import SourceRef, source_ref

# One use of a tool may become several crewai tools (all the tools of an MCP server).
Builder = Callable[[ToolConfig, ToolContext], list[BaseTool]]

_BUILDERS: dict[str, Builder] = {
    "http_request": lambda config, ctx: [
        HttpRequestTool(config=config, settings=ctx.request.tools)
    ],
    "file_read": lambda config, ctx: [FileReadTool(config=config, work_dir=ctx.work_dir)],
    "file_write": lambda config, ctx: [FileWriteTool(config=config, work_dir=ctx.work_dir)],
    "current_datetime": lambda config, _: [CurrentDatetimeTool(config=config)],
}


# The tools of the sources a group configured (see refs), by kind of source.
_SOURCE_BUILDERS: dict[str, Callable[[SourceRef, ToolContext], list[BaseTool]]] = {
    "mcp": mcp.build,
}


def build_tools(refs: Iterable[ToolRef], ctx: ToolContext) -> list[BaseTool]:
    """The crewai tools of some refs. Raises UnknownTool or ToolConfigError, readably.
    References to sources were checked by the rules before the build (engine.validate)."""
    tools = []
    for ref in refs:
        source = source_ref(ref.tool_id)
        if source is not None:
            tools.extend(_SOURCE_BUILDERS[source.kind](source, ctx))
            continue
        config = parse_config(ref.tool_id, ref.config)  # unknown ids fail here, readably
        tools.extend(_BUILDERS[ref.tool_id](config, ctx))
    return tools
