"""ToolRefs → crewai tools for one run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crewai.tools import BaseTool

from kasal.engine.errors import InvalidSpec
from kasal.engine.spec import ToolRef
from kasal.engine.tools import databricks, mcp
from kasal.engine.tools.base import ToolContext
from kasal.engine.tools.calculator import CalculatorTool
from kasal.engine.tools.catalog import PYTHON_SWITCH, PythonConfig, ToolConfig, parse_config
from kasal.engine.tools.clock import CurrentDatetimeTool
from kasal.engine.tools.data import DataQueryTool
from kasal.engine.tools.documents import DocumentReadTool
from kasal.engine.tools.files import FileReadTool, FileWriteTool
from kasal.engine.tools.http import HttpRequestTool
from kasal.engine.tools.openapi import openapi_tools
from kasal.engine.tools.python import PythonTool
from kasal.engine.tools.refs import SourceRef, source_ref
from kasal.engine.tools.sql import sql_query_tools
from kasal.engine.tools.web import WebPageTool, WebSearchTool

# One use of a tool may become several crewai tools (all the tools of an MCP server).
Builder = Callable[[ToolConfig, ToolContext], list[BaseTool]]


def _python(config: ToolConfig, ctx: ToolContext) -> list[BaseTool]:
    """Only where the operator turned it on: the snippet runs on this host."""
    if not ctx.request.tools.python_enabled:
        raise InvalidSpec(
            f"The tool 'python' is off on this server; the operator turns it on with "
            f"{PYTHON_SWITCH}=true."
        )
    assert isinstance(config, PythonConfig)  # noqa: S101 (parse_config of "python")
    return [PythonTool(config=config, work_dir=ctx.work_dir)]


_BUILDERS: dict[str, Builder] = {
    "http_request": lambda config, ctx: [
        HttpRequestTool(config=config, settings=ctx.request.tools)
    ],
    "web_search": lambda config, ctx: [
        WebSearchTool(config=config, settings=ctx.request.tools, keys=ctx.request.tool_keys)
    ],
    "web_page": lambda config, ctx: [WebPageTool(config=config, settings=ctx.request.tools)],
    "file_read": lambda config, ctx: [FileReadTool(config=config, work_dir=ctx.work_dir)],
    "file_write": lambda config, ctx: [FileWriteTool(config=config, work_dir=ctx.work_dir)],
    "current_datetime": lambda config, _: [CurrentDatetimeTool(config=config)],
    "document_read": lambda config, ctx: [DocumentReadTool(config=config, work_dir=ctx.work_dir)],
    "data_query": lambda config, ctx: [DataQueryTool(config=config, work_dir=ctx.work_dir)],
    "python": _python,
    "calculator": lambda config, _: [CalculatorTool(config=config)],
    "sql_query": sql_query_tools,
    **databricks.BUILDERS,
}


# The tools of the sources a group configured (see refs), by kind of source.
_SOURCE_BUILDERS: dict[str, Callable[[SourceRef, ToolContext], list[BaseTool]]] = {
    "openapi": openapi_tools,
    "mcp": mcp.build,
}


@dataclass(frozen=True)
class ToolOrigin:
    """Which tool a crewai tool stands for, as the run's events name it."""

    tool_id: str  # a built-in id, or `<kind>:<source>/<tool>` for a configured source's tool
    source: str | None = None  # `<kind>:<source>` (e.g. `mcp:github`); None for a built-in


def tool_origin(ref: ToolRef, tool: BaseTool) -> ToolOrigin:
    source = source_ref(ref.tool_id)
    if source is None:
        return ToolOrigin(ref.tool_id)
    where = f"{source.kind}:{source.source}"
    # An MCP tool is offered to the model as `<server>_<tool>`: its id uses the server's name.
    name = source.tool or getattr(tool, "remote_name", None) or tool.name
    return ToolOrigin(f"{where}/{name}", where)


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
