"""Crews in and out: Kasal JSON, and CrewAI's `agents.yaml` / `tasks.yaml` convention.

Export writes three files, `crew.yaml` (Kasal's crew settings and canvas layout),
`agents.yaml` and `tasks.yaml` (what a CrewAI `@CrewBase` project reads), either as one
multi-document YAML file (each document opens with a `# file: <name>` comment) or as a
zip. Import reads those, a hand-written CrewAI pair, or a Kasal JSON document, and
reports every problem at once with its file and line. Nothing here touches the database:
the service resolves model keys and names and stores the result.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import ValidationError

from kasal.agents.schemas import AgentFields
from kasal.core.errors import InvalidInput, KasalError
from kasal.crews import crewai_project, document
from kasal.crews.crewai_project import CREWAI_ONLY, CREWAI_TOOLS, Member, Project
from kasal.crews.schemas import (
    DERIVED_FIELDS,
    KEY_RE,
    CrewAgent,
    CrewBody,
    CrewSettings,
    CrewTask,
)
from kasal.crews.yaml_io import Document, Issue, Path, Source, dump, read_documents
from kasal.engine.tools.catalog import CATALOG
from kasal.engine.tools.refs import source_ref
from kasal.tasks.schemas import TaskFields

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000

ExportFormat = Literal["yaml", "json", "zip"]
# Whatever a damaged or hostile zip can raise while being listed or read.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
)
FILES = ("crew", "agents", "tasks")
YAML_SUFFIXES = (".yaml", ".yml")
_CREW_FIELDS = ("name", *CrewSettings.model_fields, "layout")
_AGENT_FIELDS = (*AgentFields.model_fields, "tool_config", "mcps")
_TASK_FIELDS = (*TaskFields.model_fields, "agent", "context", "tool_config")


class ImportInvalid(InvalidInput):
    def __init__(self, issues: Iterable[Issue]) -> None:
        details = [i.as_detail() for i in issues]
        count = len(details)
        super().__init__(
            "import_invalid",
            f"The crew cannot be imported: {count} problem{'s' if count != 1 else ''}.",
            details,
        )


class ImportTooLarge(KasalError):
    status_code = 413

    def __init__(self, file: str = "") -> None:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        message = f"Imports are limited to {limit} MB."
        super().__init__("import_too_large", message, [Issue(file, None, message).as_detail()])


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Imported:
    """An imported crew and what the import could not carry over.

    `notes` are warnings with file and line: a CrewAI field Kasal does not run, a tool with
    no Kasal equivalent, a model filled in. `main.py`'s inputs are the crew's
    `default_inputs`.
    """

    body: CrewBody
    notes: list[Issue]
    origin: Mapping[Path, tuple[Source, Path]] = field(default_factory=dict)

    def locate(self, pointer: str, message: str) -> Issue:
        """A problem of the stored crew (a JSON pointer), at its file and line."""
        loc: Path = tuple(int(p) if p.isdigit() else p for p in pointer.split("/")[1:])
        return _located(loc, message, pointer, self.origin)


@dataclass
class _Python:
    """The project's `crew.py` and `main.py`, as read from a zip."""

    project: Project | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    notes: list[Issue] = field(default_factory=list)
    folder: str = ""


# ---------------------------------------------------------------- export


def export(body: CrewBody, fmt: ExportFormat) -> ExportFile:
    stem = _slug(body.name)
    if fmt == "json":
        return ExportFile(f"{stem}.json", "application/json", export_json(body).encode())
    if fmt == "zip":
        return ExportFile(f"{stem}.zip", "application/zip", export_zip(body))
    return ExportFile(f"{stem}.yaml", "application/yaml", export_yaml(body).encode())


def export_json(body: CrewBody) -> str:
    data = {
        **body.model_dump(mode="json"),
        "edges": [e.model_dump() for e in document.edges(body)],
        "inputs": document.inputs(body),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def yaml_files(body: CrewBody) -> dict[str, str]:
    """`crew.yaml`, `agents.yaml` and `tasks.yaml`, as text."""
    settings = body.model_dump(mode="json", include={*_CREW_FIELDS})
    crew = {name: settings[name] for name in _CREW_FIELDS}
    agents = {a.key: _entry(a) for a in body.agents}
    tasks = {t.key: _entry(t) for t in body.tasks}
    return {"crew.yaml": dump(crew), "agents.yaml": dump(agents), "tasks.yaml": dump(tasks)}


_ALWAYS = ("role", "goal", "backstory", "description", "expected_output")


def _entry(member: CrewAgent | CrewTask) -> dict[str, Any]:
    """One agent or task: its texts always, any other field only when it is not the default."""
    fields = type(member).model_fields
    out: dict[str, Any] = {}
    for name, value in member.model_dump(mode="json", exclude={"key"}).items():
        if name == "tools":
            out.update(_tools_out(value))
        elif name in _ALWAYS or value != fields[name].get_default(call_default_factory=True):
            out[name] = value
    return out


def _tools_out(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """CrewAI reads `tools` as a list of names; per-tool settings go in Kasal's `tool_config`.

    The same tool twice (with different settings) cannot be said that way, so then the
    list holds `{tool_id, config}` mappings instead.
    """
    if not tools:
        return {}
    ids = [t["tool_id"] for t in tools]
    if len(set(ids)) != len(ids):
        return {"tools": tools}
    configs = {t["tool_id"]: t["config"] for t in tools if t["config"]}
    return {"tools": ids, **({"tool_config": configs} if configs else {})}


def export_yaml(body: CrewBody) -> str:
    parts = [
        f"# Kasal crew {body.name!r}: crew.yaml, agents.yaml and tasks.yaml in one file.\n"
        f"# file: {name}\n{text}"
        if index == 0
        else f"---\n# file: {name}\n{text}"
        for index, (name, text) in enumerate(yaml_files(body).items())
    ]
    return "".join(parts)


def export_zip(body: CrewBody) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in yaml_files(body).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "crew"


# ---------------------------------------------------------------- import

ModelResolver = Callable[[str], str]
McpResolver = Callable[[str], str | None]  # a server URL → the group's server there, if any


def import_file(
    filename: str,
    data: bytes,
    resolve_model: ModelResolver,
    default_model: str | None = None,
    *,
    named: bool = True,
    mcp_server: McpResolver = lambda url: None,
) -> Imported:
    """A crew from an uploaded file (.yaml/.yml, .zip or .json); ImportInvalid lists why not.

    Agents of a CrewAI project that name no model get `default_model`; their `mcps` become
    `mcp:<server>` tools where `mcp_server` knows a registered server of that URL. `named`
    is false for a body sent without a file name: its stem says nothing, so the name comes
    from the files themselves (crew.yaml, the zip's folder, the `@CrewBase` class).
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportTooLarge(filename)
    name = PurePosixPath(filename.replace("\\", "/")).name or "crew"
    suffix = PurePosixPath(name).suffix.lower()
    stem = PurePosixPath(name).stem if named else ""
    models = _Models(resolve_model, default_model, mcp_server)
    if suffix in YAML_SUFFIXES:
        text = _text(data, name)
        documents, issues = read_documents(text, name)
        return _from_yaml_documents(documents, issues, stem, models, _Python())
    if suffix == ".zip":
        return _from_zip(data, name, stem, models)
    if suffix == ".json":
        body = import_json_text(_text(data, name), name, resolve_model)
        return Imported(body, [], {(): (Source(name), ())})
    raise InvalidInput(
        "import_unsupported",
        f"Cannot import {name!r}: send a .yaml/.yml, .zip or .json file.",
        [{"file": name, "line": None, "pointer": None, "message": "Unsupported file type."}],
    )


@dataclass(frozen=True)
class _Models:
    """How the group's catalog names what a file names: its models and its MCP servers."""

    resolve: ModelResolver
    default: str | None
    mcp_server: McpResolver


def _text(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportInvalid([Issue(file, None, f"Not UTF-8 text (byte {exc.start}).")]) from None


def import_json_text(text: str, file: str, resolve_model: ModelResolver) -> CrewBody:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportInvalid([Issue(file, exc.lineno, f"Not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise ImportInvalid([Issue(file, None, "Not valid JSON: nested too deeply")]) from None
    return import_document(data, file, resolve_model)


def import_document(data: Any, file: str, resolve_model: ModelResolver) -> CrewBody:
    """A Kasal document (what GET /crews/{id} or a JSON export gives)."""
    if not isinstance(data, dict):
        raise ImportInvalid([Issue(file, 1, "A crew document must be a JSON object.")])
    doc = {k: v for k, v in data.items() if k not in DERIVED_FIELDS}
    return _validated(doc, {(): (Source(file), ())}, [], resolve_model)


def _from_zip(data: bytes, file: str, stem: str, models: _Models) -> Imported:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except _ZIP_ERRORS:
        raise ImportInvalid([Issue(file, None, "Not a valid zip file.")]) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportInvalid([Issue(file, None, "The zip has too many entries.")])
    found: dict[str, zipfile.ZipInfo] = {}
    python: dict[str, zipfile.ZipInfo] = {}
    issues: list[Issue] = []
    for entry in entries:
        path = PurePosixPath(entry.filename)
        kind = path.stem.lower()
        if entry.filename.endswith("/"):
            continue
        if path.name in _PYTHON_FILES and _shallower(path, python.get(path.name)):
            python[path.name] = entry  # the project's own, not one of a vendored package
            continue
        if kind not in FILES or path.suffix.lower() not in YAML_SUFFIXES:
            continue  # a whole CrewAI project may come along; only its config matters
        if kind in found:
            issues.append(Issue(entry.filename, None, f"More than one {kind}.yaml in the zip."))
        found[kind] = entry
    documents: list[Document] = []
    budget = MAX_IMPORT_BYTES
    for kind, entry in found.items():
        content = _read_entry(archive, entry, budget, file)
        budget -= len(content)
        docs, problems = read_documents(
            _text(content, entry.filename), PurePosixPath(entry.filename).name
        )
        issues += problems
        documents += [Document(d.data, d.source, kind) for d in docs[:1]]
        issues += [
            Issue(d.source.file, d.source.first_line, "Only one document per file.")
            for d in docs[1:]
        ]
    extras = _Python(folder=_folder(entries))
    for name, entry in python.items():
        content = _read_entry(archive, entry, budget, file)
        budget -= len(content)
        text = _text(content, entry.filename)
        if name == "crew.py":
            extras.project = crewai_project.read_crew_py(text, "crew.py")
            extras.notes += extras.project.notes
        else:
            extras.inputs, notes = crewai_project.read_main_py(text, "main.py")
            extras.notes += notes
    return _from_yaml_documents(documents, issues, stem, models, extras)


_PYTHON_FILES = ("crew.py", "main.py")


def _shallower(path: PurePosixPath, other: zipfile.ZipInfo | None) -> bool:
    return other is None or len(path.parts) < len(PurePosixPath(other.filename).parts)


def _folder(entries: list[zipfile.ZipInfo]) -> str:
    """The one folder every entry sits in (a zipped project folder), else ""."""
    tops = {PurePosixPath(e.filename).parts[0] for e in entries if "/" in e.filename}
    if len(tops) == 1 and all("/" in e.filename for e in entries):
        return tops.pop()
    return ""


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: int, file: str) -> bytes:
    """At most `budget` bytes, whatever the entry claims: sizes in a zip can lie."""
    if entry.file_size > budget:
        raise ImportTooLarge(entry.filename)
    try:
        with archive.open(entry) as stream:
            content = stream.read(budget + 1)
    except _ZIP_ERRORS:
        raise ImportInvalid(
            [Issue(file, None, f"Cannot read {entry.filename!r} from the zip.")]
        ) from None
    if len(content) > budget:
        raise ImportTooLarge(entry.filename)
    return content


def _from_yaml_documents(
    documents: list[Document],
    issues: list[Issue],
    stem: str,
    models: _Models,
    extras: _Python,
) -> Imported:
    by_kind: dict[str, Document] = {}
    for doc in documents:
        kind = doc.marker or _guess_kind(doc.data)
        if kind is None:
            issues.append(
                doc.source.issue(
                    (),
                    "Cannot tell whether this is crew.yaml, agents.yaml or tasks.yaml: "
                    "start it with a comment such as '# file: agents.yaml'.",
                )
            )
        elif kind in by_kind:
            issues.append(doc.source.issue((), f"A second {kind}.yaml document."))
        else:
            by_kind[kind] = doc
    if issues:
        raise ImportInvalid(issues)
    for kind in ("agents", "tasks"):
        if kind not in by_kind:
            issues.append(Issue(f"{kind}.yaml", None, f"{kind}.yaml is missing."))
    if issues:
        raise ImportInvalid(issues)
    builder = _Builder(issues)
    class_name = extras.project.class_name if extras.project else None
    fallback = stem or extras.folder or crewai_project.humanized(class_name or "")
    crew = builder.crew(by_kind.get("crew"), fallback)
    crew["agents"] = builder.entries(by_kind["agents"], _AGENT_FIELDS, "agents")
    crew["tasks"] = builder.entries(by_kind["tasks"], _TASK_FIELDS, "tasks")
    if extras.project is not None:
        builder.apply(crew, extras.project)
    builder.separate_keys(crew, by_kind["tasks"])
    builder.check_references(crew, by_kind["tasks"])
    builder.default_models(crew, models.default)
    builder.mcp_tools(crew, models.mcp_server)
    # A computed value (`datetime.now().year`) has no literal to keep: the Run dialog asks.
    if defaults := {name: value for name, value in extras.inputs.items() if value}:
        crew["default_inputs"] = defaults
    body = _validated(crew, builder.origin, issues, models.resolve)
    return Imported(body, [*extras.notes, *builder.notes], builder.origin)


def _guess_kind(data: Any) -> str | None:
    if not isinstance(data, dict) or not data:
        return None
    if "name" in data and set(data) <= set(_CREW_FIELDS):
        return "crew"
    entries = [v for v in data.values() if isinstance(v, dict)]
    if any({"role", "goal", "backstory"} & set(e) for e in entries):
        return "agents"
    if any({"description", "expected_output", "agent"} & set(e) for e in entries):
        return "tasks"
    return None


class _Builder:
    """CrewAI YAML → a Kasal document, remembering which file and line each part came from."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        self.notes: list[Issue] = []
        # document path prefix → (source, YAML path prefix)
        self.origin: dict[Path, tuple[Source, Path]] = {}

    def crew(self, doc: Document | None, stem: str) -> dict[str, Any]:
        if doc is None:
            return {"name": stem.replace("_", " ").replace("-", " ").strip() or "Imported crew"}
        if not isinstance(doc.data, dict):
            self.issues.append(doc.source.issue((), "crew.yaml must be a mapping of settings."))
            return {"name": stem}
        self.origin[()] = (doc.source, ())
        return {k: v for k, v in doc.data.items() if self._known(doc.source, (k,), k, _CREW_FIELDS)}

    def entries(self, doc: Document, allowed: tuple[str, ...], kind: str) -> list[dict[str, Any]]:
        if not isinstance(doc.data, dict):
            self.issues.append(
                doc.source.issue((), f"{kind}.yaml must map each {kind[:-1]} key to its fields.")
            )
            return []
        out: list[dict[str, Any]] = []
        for key, fields in doc.data.items():
            path: Path = (key,)
            if not KEY_RE.match(key):
                self.issues.append(
                    doc.source.issue(
                        path,
                        f"{key!r} is not a valid key "
                        "(letters, digits, '_' and '-', at most 64 characters).",
                    )
                )
                continue
            if not isinstance(fields, dict):
                self.issues.append(doc.source.issue(path, f"{key!r} must be a mapping of fields."))
                continue
            self.origin[(kind, len(out))] = (doc.source, path)
            entry = {"key": key}
            entry.update(
                {k: v for k, v in fields.items() if self._known(doc.source, (*path, k), k, allowed)}
            )
            entry.update(self._tools(doc.source, path, entry))
            out.append(entry)
        return out

    def _known(self, source: Source, path: Path, name: str, allowed: tuple[str, ...]) -> bool:
        if name in allowed:
            return True
        if name in CREWAI_ONLY:
            self.notes.append(
                source.issue(path, f"{name!r} is a CrewAI setting Kasal does not use; left out.")
            )
            return False
        self.issues.append(
            source.issue(path, f"Unknown field {name!r}. Known fields: {', '.join(allowed)}.")
        )
        return False

    def _tools(self, source: Source, path: Path, entry: dict[str, Any]) -> dict[str, Any]:
        tools, configs = entry.get("tools"), entry.pop("tool_config", None)
        if tools is None and configs is None:
            return {}
        if configs is not None and not isinstance(configs, dict):
            self.issues.append(
                source.issue((*path, "tool_config"), "tool_config must map tool ids to settings.")
            )
            configs = None
        configs = configs or {}
        if not isinstance(tools, list):
            if tools is not None:
                self.issues.append(
                    source.issue((*path, "tools"), "tools must be a list of tool ids.")
                )
            tools = []
        uses = [
            {"tool_id": t, "config": configs.get(t, {})} if isinstance(t, str) else t for t in tools
        ]
        named = {t for t in tools if isinstance(t, str)}
        for tool_id in configs:
            if tool_id not in named:
                self.issues.append(
                    source.issue(
                        (*path, "tool_config", tool_id),
                        f"tool_config names {tool_id!r}, which is not in tools.",
                    )
                )
        return {"tools": uses}

    def apply(self, doc: dict[str, Any], project: Project) -> None:
        """What crew.py adds: the members CrewAI builds, in its order, with their links."""
        for name, value in project.crew.items():
            doc.setdefault(name, value)
        doc["agents"] = self._merged(doc["agents"], project.agents, "agents")
        doc["tasks"] = self._merged(doc["tasks"], project.tasks, "tasks")
        for kind in ("agents", "tasks"):
            for index, entry in enumerate(doc[kind]):
                if isinstance(entry.get("tools"), list):
                    entry["tools"] = self._crewai_tools(kind, index, entry["tools"], project)
        # tasks.yaml's `agent:` and `context:` name methods, which CrewAI calls: their
        # config keys (the document's keys) may differ.
        for task in doc["tasks"]:
            agent = task.get("agent")
            if isinstance(agent, str):
                task["agent"] = project.agent_key(agent) or agent
            context = task.get("context")
            if isinstance(context, list):
                task["context"] = [
                    project.task_key(ref) or ref if isinstance(ref, str) else ref for ref in context
                ]

    def _crewai_tools(self, kind: str, index: int, uses: list[Any], project: Project) -> list[Any]:
        """In a CrewAI project, YAML `tools:` name `@tool` methods of crew.py: each becomes
        the Kasal tool doing the work of the CrewAI tool it returns, or is left out with a
        note. Kasal tool ids (a Kasal export) stay as they are."""
        source, path = self.origin[(kind, index)]
        kept: list[Any] = []
        for position, use in enumerate(uses):
            name = use.get("tool_id") if isinstance(use, dict) else None
            if not isinstance(name, str) or name in CATALOG or source_ref(name) is not None:
                kept.append(use)
                continue
            cls = project.tools.get(name)
            tool_id = CREWAI_TOOLS.get(cls or "")
            if tool_id is not None:
                kept.append({"tool_id": tool_id, "config": {}})
                continue
            why = (
                f"the @tool method {name}() returns {cls or 'a tool that cannot be read'}, "
                "which has no Kasal equivalent"
                if name in project.tools
                else f"{name!r} is neither a @tool method of crew.py nor a Kasal tool"
            )
            self.notes.append(source.issue((*path, "tools", position), f"Tool left out: {why}."))
        return kept

    def _merged(
        self, entries: list[dict[str, Any]], members: list[Member], kind: str
    ) -> list[dict[str, Any]]:
        """The entries `members` read, in method order; crew.py's values win, as in CrewAI.

        An entry no method reads is not part of the CrewAI crew either: it is left out.
        """
        if not members:
            return entries
        where = {e["key"]: self.origin[(kind, i)] for i, e in enumerate(entries)}
        by_key = {e["key"]: e for e in entries}
        out: list[dict[str, Any]] = []
        for member in members:
            entry = by_key.pop(member.key, None) or {"key": member.key}
            tools = entry.get("tools", [])
            added = [{"tool_id": t, "config": {}} for t in member.fields.get("tools", [])]
            entry.update(member.fields)
            if "tools" in member.fields:
                entry["tools"] = [*tools, *(t for t in added if t not in tools)]
            origin = where.get(member.key) or (Source("crew.py", first_line=member.line), ())
            self.origin[(kind, len(out))] = origin
            out.append(entry)
        for key in by_key:
            source, path = where[key]
            self.notes.append(
                source.issue(
                    path,
                    f"{key!r} is read by no method of crew.py, so CrewAI leaves it out: "
                    "so does the import.",
                )
            )
        return out

    def separate_keys(self, doc: dict[str, Any], tasks_doc: Document) -> None:
        """CrewAI lets a task and an agent share a name; Kasal keys share one space."""
        agents = {a["key"] for a in doc["agents"]}
        taken = agents | {t["key"] for t in doc["tasks"]}
        renamed: dict[str, str] = {}
        for task in doc["tasks"]:
            key = task["key"]
            if key not in agents:
                continue
            new = next(
                k
                for k in (f"{key}_task", *(f"{key}_task_{n}" for n in range(2, 1000)))
                if k not in taken
            )
            taken.add(new)
            renamed[key] = task["key"] = new
            self.notes.append(
                tasks_doc.source.issue(
                    (key,), f"Task {key!r} shares its name with an agent: its key is {new!r}."
                )
            )
        for task in doc["tasks"]:
            context = task.get("context")
            if isinstance(context, list):
                task["context"] = [renamed.get(ref, ref) for ref in context]

    def default_models(self, doc: dict[str, Any], model: str | None) -> None:
        """CrewAI falls back to its own default model; Kasal to the group's."""
        if model is None:
            return
        for index, agent in enumerate(doc["agents"]):
            if not agent.get("llm"):
                agent["llm"] = model
                source, path = self.origin[("agents", index)]
                self.notes.append(
                    source.issue(
                        path,
                        f"Agent {agent['key']!r} names no model: it uses the group's "
                        f"default, {model!r}.",
                    )
                )
        if doc.get("process") == "hierarchical" and not doc.get("manager_llm"):
            doc["manager_llm"] = model
            self.notes.append(
                Issue("", None, f"The hierarchical crew's manager uses the default, {model!r}.")
            )

    def mcp_tools(self, doc: dict[str, Any], mcp_server: McpResolver) -> None:
        """CrewAI's `mcps` (server URLs, `#tool` for one tool) become `mcp:<server>` tools
        where the group has registered a server at that URL; the others are reported."""
        for index, agent in enumerate(doc["agents"]):
            entries = agent.pop("mcps", None)
            if entries is None:
                continue
            source, path = self.origin[("agents", index)]
            tools = agent.setdefault("tools", [])
            for entry in entries if isinstance(entries, list) else [entries]:
                tool_id = _mcp_tool(entry, mcp_server)
                if tool_id is None:
                    self.notes.append(
                        source.issue(
                            (*path, "mcps"),
                            f"Agent {agent['key']!r} uses the MCP server {entry!r}, which is "
                            "not registered in this group: add it under Settings > MCP "
                            "servers, then give the agent its tools (mcp:<server>).",
                        )
                    )
                elif tool_id not in [t.get("tool_id") for t in tools if isinstance(t, dict)]:
                    tools.append({"tool_id": tool_id, "config": {}})

    def check_references(self, doc: dict[str, Any], tasks_doc: Document) -> None:
        """What CrewAI's @CrewBase would trip over: a task naming a missing agent or task."""
        agents = {a["key"] for a in doc["agents"]}
        tasks = {t["key"] for t in doc["tasks"]}
        for key in agents & tasks:
            self.issues.append(
                tasks_doc.source.issue(
                    (key,), f"{key!r} names both an agent and a task; keys must be unique."
                )
            )
        for task in doc["tasks"]:
            path: Path = (task["key"],)
            agent = task.get("agent")
            if isinstance(agent, str) and agent not in agents:
                self.issues.append(
                    tasks_doc.source.issue(
                        (*path, "agent"),
                        f"Task {task['key']!r} names agent {agent!r}, "
                        "which agents.yaml does not define.",
                    )
                )
            context = task.get("context")
            if isinstance(context, list):
                for index, ref in enumerate(context):
                    if isinstance(ref, str) and ref not in tasks:
                        self.issues.append(
                            tasks_doc.source.issue(
                                (*path, "context", index),
                                f"Task {task['key']!r} uses {ref!r} as context, "
                                "which tasks.yaml does not define.",
                            )
                        )


def _mcp_tool(entry: Any, mcp_server: McpResolver) -> str | None:
    """The tool id of one `mcps` entry (a URL, or a mapping with one), if it maps."""
    url = entry.get("url") if isinstance(entry, dict) else entry
    if not isinstance(url, str):
        return None
    base, _, tool = url.partition("#")
    name = mcp_server(base)
    if name is None:
        return None
    return f"mcp:{name}/{tool}" if tool else f"mcp:{name}"


def _validated(
    doc: dict[str, Any],
    origin: Mapping[Path, tuple[Source, Path]],
    issues: list[Issue],
    resolve_model: ModelResolver,
) -> CrewBody:
    _resolve_models(doc, resolve_model)
    try:
        body = CrewBody.model_validate(doc)
    except ValidationError as exc:
        issues = issues + [_issue_of(error, origin) for error in exc.errors()]
        raise ImportInvalid(issues) from None
    if issues:
        raise ImportInvalid(issues)
    return body


def _resolve_models(doc: dict[str, Any], resolve_model: ModelResolver) -> None:
    """`llm: openai/gpt-4o` and the like become the group's model key where one matches."""
    holders: list[dict[str, Any]] = [
        doc,
        *(a for a in doc.get("agents") or [] if isinstance(a, dict)),
    ]
    for holder in holders:
        for name in ("llm", "manager_llm", "embedder"):
            value = holder.get(name)
            if isinstance(value, str) and value:
                holder[name] = resolve_model(value)


def _issue_of(error: Any, origin: Mapping[Path, tuple[Source, Path]]) -> Issue:
    loc: Path = tuple(error.get("loc", ()))
    pointer = "/" + "/".join(str(part) for part in loc) if loc else ""
    return _located(loc, str(error.get("msg", "invalid value")), pointer, origin, where=True)


def _located(
    loc: Path,
    message: str,
    pointer: str,
    origin: Mapping[Path, tuple[Source, Path]],
    *,
    where: bool = False,
) -> Issue:
    """`message` about document path `loc`, at the file and line it was read from.

    `where` prefixes the path as written in the file (`researcher.max_iter: ...`).
    """
    for end in range(len(loc), -1, -1):
        if loc[:end] in origin:
            source, base = origin[loc[:end]]
            path = (*base, *loc[end:])
            return Issue(source.file, source.line(path), _message(message, path, where), pointer)
    return Issue("", None, _message(message, loc, where), pointer)


def _message(message: str, path: Path, where: bool) -> str:
    at = ".".join(str(part) for part in path)
    return f"{at}: {message}" if at and where else message
