"""ToolRefs → crewai tools for one run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from crewai.tools import BaseTool

from kasal.engine.spec import ToolRef, ToolSettings
from kasal.engine.tools.catalog import ToolConfig, parse_config
from kasal.engine.tools.clock import CurrentDatetimeTool
from kasal.engine.tools.files import FileReadTool, FileWriteTool
from kasal.engine.tools.http import HttpRequestTool

Builder = Callable[[ToolConfig, ToolSettings, Path], BaseTool]

_BUILDERS: dict[str, Builder] = {
    "http_request": lambda config, settings, _: HttpRequestTool(config=config, settings=settings),
    "file_read": lambda config, _, work_dir: FileReadTool(config=config, work_dir=work_dir),
    "file_write": lambda config, _, work_dir: FileWriteTool(config=config, work_dir=work_dir),
    "current_datetime": lambda config, _, __: CurrentDatetimeTool(config=config),
}


def build_tools(refs: Iterable[ToolRef], settings: ToolSettings, work_dir: Path) -> list[BaseTool]:
    """One crewai tool per ref. Raises UnknownTool or ToolConfigError with a readable message."""
    tools = []
    for ref in refs:
        config = parse_config(ref.tool_id, ref.config)  # unknown ids fail here, readably
        tools.append(_BUILDERS[ref.tool_id](config, settings, work_dir))
    return tools
