"""Tools that come from a source the group configured rather than from the built-in catalog.

A tool list names them `<kind>:<source>` (every tool the source offers) or
`<kind>:<source>/<tool>` (one of them): `mcp:github`, `mcp:github/create_issue`,
`openapi:billing/get_invoice`. The rules (`engine.validate`) check such a reference against
what the caller knows of the group's sources (`SourceFacts`); the factory hands it to the
builder of its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from kasal.engine.spec import CrewSpec

SourceKind = Literal["mcp", "openapi"]
SOURCE_KINDS: dict[str, str] = {"mcp": "MCP server", "openapi": "OpenAPI document"}


@dataclass(frozen=True)
class SourceRef:
    kind: SourceKind
    source: str
    tool: str | None = None  # None: every tool of the source


@dataclass(frozen=True)
class SourceFacts:
    """What validation needs to know about one configured source."""

    enabled: bool
    tools: frozenset[str] | None = None  # the tool names last discovered; None: not known


def source_ref(tool_id: str) -> SourceRef | None:
    """The source a tool id names, or None for a built-in tool id."""
    kind, colon, rest = tool_id.partition(":")
    if not colon or kind not in SOURCE_KINDS:
        return None
    source, _, tool = rest.partition("/")
    return SourceRef(cast(SourceKind, kind), source, tool or None)


def source_problem(ref: SourceRef, facts: SourceFacts | None) -> tuple[str, str] | None:
    """(code, message) when `ref` cannot be used, given what is known of its source."""
    label = SOURCE_KINDS[ref.kind]
    if facts is None:
        return "unknown_tool_source", f"There is no {label} {ref.source!r} in this group."
    if not facts.enabled:
        return "tool_source_disabled", f"The {label} {ref.source!r} is disabled."
    if ref.tool is not None and facts.tools is not None and ref.tool not in facts.tools:
        known = ", ".join(sorted(facts.tools)) or "none"
        return (
            "unknown_source_tool",
            f"The {label} {ref.source!r} has no tool {ref.tool!r} (it offers: {known}).",
        )
    return None


def referenced_sources(crew: CrewSpec, kind: SourceKind) -> set[str]:
    """The names of the sources of `kind` that the crew's agents and tasks use."""
    refs = [source_ref(use.tool_id) for use in crew.tool_uses()]
    return {ref.source for ref in refs if ref is not None and ref.kind == kind}
