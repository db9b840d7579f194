"""The paths that address values in a flow (spec.py's "Flows and pauses" comment), and the
`${path}` templates made of them. Shared by the engine, which resolves them, and the flows
domain, which checks them before a document is saved or run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

TEMPLATE = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Path:
    root: Literal["inputs", "steps"]
    name: str  # the input's name or the step's key
    rest: tuple[str, ...]  # after `steps.<key>`: ("output",), ("json", "score"), ...


def parse(path: str) -> Path | str:
    """The path, or why it is not one (a sentence to show the user)."""
    parts = path.strip().split(".")
    if any(not part for part in parts):
        return f"{path!r} is not a path: parts are separated by single dots."
    root, *tail = parts
    if root == "inputs":
        if len(tail) != 1:
            return f"{path!r}: a flow input is `inputs.<name>`."
        return Path("inputs", tail[0], ())
    if root != "steps":
        return f"{path!r} must start with `inputs.` or `steps.`."
    if not tail or not _NAME.match(tail[0]):
        return f"{path!r}: a step's value is `steps.<key>.<what>`."
    key, rest = tail[0], tuple(tail[1:])
    problem = _step_value_problem(rest)
    return Path("steps", key, rest) if problem is None else f"{path!r}: {problem}"


def _step_value_problem(rest: tuple[str, ...]) -> str | None:
    if rest in (("output",), ("decision",)):
        return None
    if rest[:1] == ("json",) and len(rest) >= 2:
        return None
    if rest[:1] == ("tasks",) and len(rest) >= 3:
        return _step_value_problem(rest[2:]) if rest[2] != "decision" else "tasks have no decision"
    return "name `output`, `decision`, `json.<field>` or `tasks.<task>.output|json.<field>`."


def template_paths(text: str) -> list[str]:
    return [match.group(1) for match in TEMPLATE.finditer(text)]


def render(text: str, lookup: Callable[[str], Any]) -> str:
    """`text` with each `${path}` replaced by its value: text as is, other values as JSON,
    nothing where the path has no value (a branch not taken, a field not there)."""

    def value(match: re.Match[str]) -> str:
        found = lookup(match.group(1))
        if found is None:
            return ""
        return found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)

    return TEMPLATE.sub(value, text)


def dig(value: Any, fields: tuple[str, ...]) -> Any:
    """A field of a JSON value (`a.b`, `items.0`), or None where there is none."""
    for field in fields:
        if isinstance(value, dict):
            value = value.get(field)
        elif isinstance(value, list) and field.isdigit() and int(field) < len(value):
            value = value[int(field)]
        else:
            return None
    return value
