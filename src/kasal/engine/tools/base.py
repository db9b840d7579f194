"""What every built-in tool shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kasal.engine.spec import RunRequest


class ToolError(Exception):
    """A refusal or failure the agent should read: crewai hands the message to the model."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may need from its run, beyond its own per-use configuration."""

    request: RunRequest
    work_dir: Path
