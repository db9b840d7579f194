"""What every built-in tool shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kasal.engine.spec import RunRequest

if TYPE_CHECKING:  # it imports crewai, and this module must not (the API process uses it)
    from kasal.engine.tools.mcp import ConnectedServer


class ToolError(Exception):
    """A refusal or failure the agent should read: crewai hands the message to the model."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may need from its run, beyond its own per-use configuration."""

    request: RunRequest
    work_dir: Path
    mcp_servers: Mapping[str, ConnectedServer] = field(default_factory=dict)  # by name
