"""The Python client of Kasal's API: `Kasal` (blocking) and `AsyncKasal` (asyncio).

`Kasal(url, token)` (or `Kasal()` with KASAL_URL/KASAL_TOKEN, or after `kasal login`)
has `crews` (list, get, find, create, update, import_yaml, export), `executions`
(start, get, list, cancel, events, stream, wait) and `models` (list). docs/scripting.md
has examples. Names load on first use: the SDK's objects need the errors and models
here without paying for httpx and websockets until something talks to a server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "AsyncCrews": "kasal.client.aio",
    "AsyncExecutions": "kasal.client.aio",
    "AsyncKasal": "kasal.client.aio",
    "AsyncModels": "kasal.client.aio",
    "KasalConfigError": "kasal.client.aio",
    "Crews": "kasal.client.sync",
    "Executions": "kasal.client.sync",
    "Kasal": "kasal.client.sync",
    "Models": "kasal.client.sync",
    **dict.fromkeys(
        (
            "AuthError",
            "ConflictError",
            "KasalAPIError",
            "KasalConnectionError",
            "KasalError",
            "NotFoundError",
            "PermissionDeniedError",
            "RateLimitError",
            "RunFailedError",
            "ServerError",
            "ValidationError",
        ),
        "kasal.client.errors",
    ),
    **dict.fromkeys(
        (
            "Crew",
            "CrewAgent",
            "CrewDocument",
            "CrewSummary",
            "CrewTask",
            "Event",
            "EventPage",
            "Execution",
            "ImportedCrew",
            "Model",
            "Usage",
            "User",
        ),
        "kasal.client.models",
    ),
}

__all__ = [
    "AsyncCrews",
    "AsyncExecutions",
    "AsyncKasal",
    "AsyncModels",
    "AuthError",
    "ConflictError",
    "Crew",
    "CrewAgent",
    "CrewDocument",
    "CrewSummary",
    "CrewTask",
    "Crews",
    "Event",
    "EventPage",
    "Execution",
    "Executions",
    "ImportedCrew",
    "Kasal",
    "KasalAPIError",
    "KasalConfigError",
    "KasalConnectionError",
    "KasalError",
    "Model",
    "Models",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RunFailedError",
    "ServerError",
    "Usage",
    "User",
    "ValidationError",
]

if TYPE_CHECKING:
    from kasal.client.aio import (
        AsyncCrews,
        AsyncExecutions,
        AsyncKasal,
        AsyncModels,
        KasalConfigError,
    )
    from kasal.client.errors import (
        AuthError,
        ConflictError,
        KasalAPIError,
        KasalConnectionError,
        KasalError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RunFailedError,
        ServerError,
        ValidationError,
    )
    from kasal.client.models import (
        Crew,
        CrewAgent,
        CrewDocument,
        CrewSummary,
        CrewTask,
        Event,
        EventPage,
        Execution,
        Model,
        Usage,
        User,
    )
    from kasal.client.sync import Crews, Executions, Kasal, Models


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kasal.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
