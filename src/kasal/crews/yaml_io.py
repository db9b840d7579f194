"""YAML that remembers where each value came from, and refuses what only an attack needs.

Import reports every problem with its file and line, so values are read from YAML's
node tree (which carries marks) rather than from `safe_load`. The reader is the pure
Python safe loader on purpose: libyaml's composer crashes the process on deeply nested
input, and aliases (`*ref`) are refused so a small file cannot expand into a huge one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_NODES = 50_000
MAX_DEPTH = 40

Path = tuple[str | int, ...]


@dataclass
class Issue:
    """One problem with an imported file, as the API reports it."""

    file: str
    line: int | None
    message: str
    pointer: str | None = None

    def as_detail(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer,
            "message": self.message,
        }


@dataclass
class Source:
    """One file (or one document of a multi-document file) and the line of every value."""

    file: str
    lines: dict[Path, int] = field(default_factory=dict)
    first_line: int | None = None

    def line(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest enclosing value."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return self.first_line

    def issue(self, path: Path, message: str) -> Issue:
        return Issue(self.file, self.line(path), message)


@dataclass
class Document:
    data: Any
    source: Source
    marker: str | None  # "crew", "agents" or "tasks" when the document names its file


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.node_count = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            raise ComposerError(None, None, "aliases (*name) are not supported", self._mark())
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise ComposerError(None, None, "the document has too many values", self._mark())
        return super().compose_node(parent, index)

    def _mark(self) -> Mark | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        start = event.start_mark
        return start if isinstance(start, Mark) else None


_MARKER = re.compile(r"^(?:---\s*)?#\s*(?:file:\s*)?(crew|agents|tasks)\.ya?ml\s*$", re.I)


def read_documents(text: str, file: str) -> tuple[list[Document], list[Issue]]:
    """Every non-empty document of `text`. Syntax errors come back as issues, never raise."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        return [], [Issue(file, line, f"Not valid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return [], [Issue(file, None, f"Not valid YAML: {exc}")]
    except RecursionError:
        return [], [Issue(file, None, "Not valid YAML: nested too deeply")]
    lines = text.splitlines()
    documents, issues = [], []
    for node in nodes:
        if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
            continue  # an empty document, e.g. after a trailing `---`
        reader = _Reader(Source(file, first_line=node.start_mark.line + 1))
        data = reader.value(node, (), 0)
        issues += reader.issues
        documents.append(Document(data, reader.source, _marker(lines, node.start_mark.line)))
    return documents, issues


def _marker(lines: list[str], start: int) -> str | None:
    """The `# file: agents.yaml` comment just above a document (or on its `---` line)."""
    index = start
    while index >= 0 and index < len(lines):
        line = lines[index].strip()
        found = _MARKER.match(line)
        if found:
            return found.group(1).lower()
        if index < start and line and not line.startswith(("#", "---", "%")):
            return None
        index -= 1
    return None


class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.issues: list[Issue] = []
        self.constructor = SafeConstructor()

    def value(self, node: Node, path: Path, depth: int) -> Any:
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            self.issues.append(self.source.issue(path, "Values are nested too deeply."))
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.issues.append(self.source.issue(path, f"Unsupported value: {problem}"))
            return None

    def _mapping(self, node: MappingNode, path: Path, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                self.issues.append(Issue(self.source.file, line, "Keys must be plain names."))
                continue
            key = str(key_node.value)
            if key in out:
                self.issues.append(Issue(self.source.file, line, f"Duplicate key {key!r}."))
                continue
            self.source.lines[(*path, key)] = line
            out[key] = self.value(value_node, (*path, key), depth + 1)
        return out


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, keys in document order."""


# Line breaks other than \n do not survive a block or a single-quoted scalar (YAML folds
# them into \n or spaces): text holding one is written double-quoted, with escapes.
_OTHER_BREAKS = frozenset("\r\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if not _OTHER_BREAKS.isdisjoint(value):
        style: str | None = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
