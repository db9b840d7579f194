"""The crew rules as the API applies them: the group's catalog as facts, `Problem`s out.

The rules themselves are `kasal.engine.validate` (one set, shared with the engine's check
before a build; its docstring says why they live there). This module adds what only the
API knows, the group's catalog: which models exist, their kind, whether they are enabled
and have a key, and which tools are enabled.

Problems never block a save: a crew is drafted over many saves. Error-severity ones
block a run (see `service.snapshot_for_run`); warnings are advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from kasal.crews import document
from kasal.crews.schemas import CrewBody, Problem
from kasal.engine import validate
from kasal.engine.spec import CrewSpec
from kasal.engine.tools.catalog import CATALOG


class ModelFacts(Protocol):
    """What validation needs to know about one model of the group's catalog."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def has_key(self) -> bool: ...


@dataclass(frozen=True)
class Catalog(validate.ToolFacts):
    """The facts of one group: its models by key, its tools' enabled state by id, its keys,
    its tool sources and the names of its database connections.

    A crew's agents always name their model here, so there is no default model.
    """

    models: Mapping[str, ModelFacts] = field(default_factory=dict)
    tools: Mapping[str, bool] = field(default_factory=dict)

    @property
    def default_model(self) -> str | None:
        return None

    def model_problem(self, key: str, kind: validate.ModelKind) -> tuple[str, str] | None:
        model = self.models.get(key)
        if model is None:
            return "unknown_model", f"There is no model {key!r} in this group's catalog."
        if model.kind != kind:
            article = "an" if model.kind == "embedding" else "a"
            wanted = "an" if kind == "embedding" else "a"
            return (
                "wrong_model_kind",
                f"The model {key!r} is {article} {model.kind} model; "
                f"this needs {wanted} {kind} model.",
            )
        if not model.enabled:
            return "model_disabled", f"The model {key!r} is disabled."
        if not model.has_key:
            return (
                "missing_api_key",
                f"No API key for provider {model.provider} (model {key!r}): "
                "add one under Settings > API keys.",
            )
        return None

    def tool_enabled(self, tool_id: str) -> bool | None:
        if tool_id not in CATALOG and tool_id not in self.tools:
            return None
        return self.tools.get(tool_id, True)


def problems(body: CrewBody, catalog: Catalog) -> list[Problem]:
    """Every problem of the document at once, each with a JSON pointer and a stable code."""
    return problems_of(document.to_spec(body), catalog)


def problems_of(spec: CrewSpec, catalog: Catalog) -> list[Problem]:
    """`problems`, for a document already converted to its spec (the pointers are the same)."""
    return [
        Problem(pointer=f.pointer, code=f.code, message=f.message, severity=f.severity)
        for f in validate.check(spec, catalog)
    ]


def has_errors(found: list[Problem]) -> bool:
    return any(p.severity == "error" for p in found)
