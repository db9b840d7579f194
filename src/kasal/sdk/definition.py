"""Where an SDK crew meets the server's document schema, and how it fails there.

A module of its own so that both the objects (`Crew.to_yaml`) and the local runner
(`sdk.local`) use it without importing each other: the objects start the runners, so
the runners must not import the objects back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CrewDefinitionError(ValueError):
    """The crew cannot be turned into a valid crew document (or read from YAML)."""


def crew_body(document: Mapping[str, Any]) -> Any:
    """The server's document schema (`CrewBody`), with a readable error when invalid."""
    from pydantic import ValidationError

    from kasal.crews.schemas import CrewBody

    try:
        return CrewBody.model_validate(dict(document))
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'crew'}: {e['msg']}" for e in exc.errors()
        ]
        raise CrewDefinitionError("The crew is not valid: " + "; ".join(problems)) from None
