"""Kasal: design, run and watch teams of AI agents.

`from kasal import Agent, Task, Crew` is the SDK (see `kasal.sdk`); `kasal.client` is
the API client. Both load on first use, so `import kasal` stays cheap (the server and
the CLI import this package too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Agent": "kasal.sdk",
    "Task": "kasal.sdk",
    "Crew": "kasal.sdk",
    "Tool": "kasal.sdk",
    "CrewOutput": "kasal.sdk",
    "TaskOutput": "kasal.sdk",
    "Kasal": "kasal.client",
    "AsyncKasal": "kasal.client",
}

__all__ = [
    "Agent",
    "AsyncKasal",
    "Crew",
    "CrewOutput",
    "Kasal",
    "Task",
    "TaskOutput",
    "Tool",
    "__version__",
]

if TYPE_CHECKING:
    from kasal.client import AsyncKasal, Kasal
    from kasal.sdk import Agent, Crew, CrewOutput, Task, TaskOutput, Tool


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kasal' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
