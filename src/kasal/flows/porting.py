"""Flows in and out as crewai.flow/v1 (CrewAI's `FlowDefinition`), YAML or JSON.

What maps, both ways:
- a crew step ↔ a method `do: {call: crew, with: <inline crew>}` (the crew at the step's
  version, through the crews domain's CrewAI YAML import/export), or on import
  `from_declaration: <name of a crew of the group>`; its inputs ↔ `do.inputs`;
- edges ↔ `start` / `listen` (a join's sources ↔ `{and: [...]}` or `{or: [...]}`);
- a router ↔ `router: true` + `emit` + `do: {call: expression}` whose CEL is a chain
  `cond ? "event" : ... : "default event"` over the conditions this module can read;
- an approval step ↔ a method with `human_feedback` (`emit` naming the approve and reject
  outcomes) whose `do` expression is the text under review;
- paths: `${state.x}` ↔ `${inputs.x}`, `${outputs.m.raw}` ↔ `${steps.m.output}`,
  `outputs.m.json_dict.f` ↔ `steps.m.json.f`.
Everything else (`call: code|tool|script|agent`, `each`, `persist`, a pydantic state, ...)
is a problem with its JSON pointer, and the import saves nothing. The file is validated
with crewai's own model first. Nothing here touches the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from crewai.flow.flow_definition import FlowConfigDefinition, FlowDefinition
from pydantic import ValidationError

from kasal.core.errors import InvalidInput
from kasal.core.versioning import name_key
from kasal.crews import porting as crew_porting
from kasal.crews.porting import ExportFile, ModelResolver
from kasal.crews.schemas import CrewBody, ImportNote
from kasal.crews.yaml_io import dump, read_documents
from kasal.engine import flow_paths
from kasal.engine.spec import ApprovalSettings, Condition
from kasal.flows.schemas import FlowBody, FlowEdgeBody, FlowInput, FlowStepBody

FlowExportFormat = Literal["yaml", "json"]
MAX_IMPORT_BYTES = crew_porting.MAX_IMPORT_BYTES
_UNSUPPORTED_CALLS = {
    "code": "runs Python code from a module",
    "tool": "calls a tool outside any crew",
    "script": "runs an inline script",
    "agent": "runs a lone agent outside any crew",
    "each": "loops over a list",
}
_CEL_OPS = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_OPS_OF_CEL = {cel: op for op, cel in _CEL_OPS.items()}
_OUTCOMES = {"approve": "approved", "reject": "rejected"}  # an approval's crewai events


@dataclass(frozen=True)
class ImportedFlow:
    """The flow (inline crews' steps without `crew_id` yet) and the crews to create first."""

    body: FlowBody
    crews: dict[str, CrewBody]  # step key → the crew its method holds inline
    notes: list[ImportNote]


class FlowImportInvalid(InvalidInput):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(
            "flow_import_invalid",
            f"The flow cannot be imported: {len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}; nothing was saved.",
            problems,
        )


class FlowNotExportable(InvalidInput):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(
            "flow_not_exportable",
            "This flow uses what crewai.flow/v1 cannot say: "
            + "; ".join(p["message"] for p in problems),
            problems,
        )


def _problem(pointer: str, code: str, message: str) -> dict[str, Any]:
    return {"pointer": pointer, "code": code, "message": message}


# ---------------------------------------------------------------- paths and CEL


def path_to_cel(path: str) -> str | None:
    parsed = flow_paths.parse(path)
    if isinstance(parsed, str):
        return None
    if parsed.root == "inputs":
        return f"state.{parsed.name}"
    if parsed.rest == ("output",):
        return f"outputs.{parsed.name}.raw"
    if parsed.rest[:1] == ("json",):
        return ".".join(["outputs", parsed.name, "json_dict", *parsed.rest[1:]])
    return None  # a task's output or a decision: crewai's outputs have no such field


def cel_to_path(cel: str) -> str | None:
    parts = cel.split(".")
    if parts[0] == "state" and len(parts) == 2:
        return f"inputs.{parts[1]}"
    if parts[0] != "outputs" or len(parts) < 2:
        return None
    if len(parts) == 2 or parts[2:] == ["raw"]:
        return f"steps.{parts[1]}.output"
    if parts[2] == "json_dict" and len(parts) > 3:
        return ".".join(["steps", parts[1], "json", *parts[3:]])
    return None


def template_out(text: str) -> str | None:
    """A Kasal template with crewai's paths, or None if one of its paths has none."""
    missing = False

    def swap(match: re.Match[str]) -> str:
        nonlocal missing
        cel = path_to_cel(match.group(1))
        missing = missing or cel is None
        return f"${{{cel}}}"

    out = flow_paths.TEMPLATE.sub(swap, text)
    return None if missing else out


def template_in(text: str) -> str | None:
    missing = False

    def swap(match: re.Match[str]) -> str:
        nonlocal missing
        path = cel_to_path(match.group(1))
        missing = missing or path is None
        return f"${{{path}}}"

    out = flow_paths.TEMPLATE.sub(swap, text)
    return None if missing else out


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'[^']*')|(?P<num>-?\d+(?:\.\d+)?)"""
    r"""|(?P<op>==|!=|>=|<=|>|<|\?|:|\(|\)|!|\+)|(?P<name>[A-Za-z_][A-Za-z0-9_.]*))"""
)


def _tokens(expr: str) -> list[tuple[str, Any]] | None:
    found: list[tuple[str, Any]] = []
    position = 0
    expr = expr.strip()
    while position < len(expr):
        match = _TOKEN.match(expr, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "str":
            found.append(("lit", json.loads(text) if text.startswith('"') else text[1:-1]))
        elif kind == "num":
            found.append(("lit", float(text) if "." in text else int(text)))
        elif kind == "name" and text in ("true", "false", "null"):
            found.append(("lit", {"true": True, "false": False, "null": None}[text]))
        else:
            found.append((kind, text))
    return found


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def condition_to_cel(condition: Condition) -> str | None:
    cel = path_to_cel(condition.path)
    if cel is None:
        return None
    if condition.op == "exists":
        return f"has({cel})"
    if condition.op == "not_exists":
        return f"!has({cel})"
    if condition.op == "contains":
        return f"{cel}.contains({_literal(condition.value)})"
    return f"{cel} {_CEL_OPS[condition.op]} {_literal(condition.value)}"


class _Chain:
    """`cond ? "event" : cond ? "event" : "event"`, read into (condition or None, event)."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.at = 0

    def take(self, kind: str, text: str | None = None) -> Any:
        if self.at >= len(self.tokens):
            raise ValueError("the expression ends too early")
        got_kind, got = self.tokens[self.at]
        if got_kind != kind or (text is not None and got != text):
            raise ValueError(f"unexpected {got!r}")
        self.at += 1
        return got

    def chain(self) -> list[tuple[Condition | None, str]]:
        if self.at == len(self.tokens) - 1 and self.tokens[self.at][0] == "lit":
            return [(None, str(self.take("lit")))]
        condition = self.condition()
        self.take("op", "?")
        event = str(self.take("lit"))
        self.take("op", ":")
        return [(condition, event), *self.chain()]

    def condition(self) -> Condition:
        negated = self.at < len(self.tokens) and self.tokens[self.at] == ("op", "!")
        if negated:
            self.at += 1
        name = str(self.take("name"))
        if name == "has":
            self.take("op", "(")
            path = self._path(str(self.take("name")))
            self.take("op", ")")
            return Condition(path=path, op="not_exists" if negated else "exists")
        if negated:
            raise ValueError("`!` only negates has(...)")
        if name.endswith(".contains"):
            self.take("op", "(")
            value = self.take("lit")
            self.take("op", ")")
            return Condition(
                path=self._path(name.removesuffix(".contains")), op="contains", value=value
            )
        op = self.take("op")
        if op not in _OPS_OF_CEL:
            raise ValueError(f"unexpected {op!r}")
        return Condition(path=self._path(name), op=_OPS_OF_CEL[op], value=self.take("lit"))

    @staticmethod
    def _path(cel: str) -> str:
        path = cel_to_path(cel)
        if path is None:
            raise ValueError(f"{cel!r} is not `state.<field>` or `outputs.<method>...`")
        return path


def read_conditions(expr: str) -> list[tuple[Condition | None, str]] | str:
    tokens = _tokens(expr)
    if not tokens:
        return "the expression cannot be read"
    chain = _Chain(tokens)
    try:
        found = chain.chain()
    except ValueError as exc:
        return str(exc)
    return found if chain.at == len(tokens) else "unexpected text after the last event"


def review_to_cel(template: str) -> str | None:
    pieces: list[str] = []
    position = 0
    for match in flow_paths.TEMPLATE.finditer(template):
        if match.start() > position:
            pieces.append(_literal(template[position : match.start()]))
        cel = path_to_cel(match.group(1))
        if cel is None:
            return None
        pieces.append(cel)
        position = match.end()
    if position < len(template):
        pieces.append(_literal(template[position:]))
    return " + ".join(pieces) or '""'


def review_from_cel(expr: str) -> str | None:
    tokens = _tokens(expr)
    if not tokens:
        return None
    out: list[str] = []
    for index, (kind, value) in enumerate(tokens):
        if index % 2 == 1:
            if (kind, value) != ("op", "+"):
                return None
        elif kind == "lit" and isinstance(value, str):
            out.append(value)
        elif kind == "name" and (path := cel_to_path(value)) is not None:
            out.append(f"${{{path}}}")
        else:
            return None
    return "".join(out)


# ---------------------------------------------------------------- export


def export(body: FlowBody, crews: Mapping[str, CrewBody], fmt: FlowExportFormat) -> ExportFile:
    """`crews`: each crew step's crew document at its version, by step key."""
    data = to_definition(body, crews)
    stem = re.sub(r"[^a-z0-9]+", "-", body.name.lower()).strip("-")[:80] or "flow"
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        return ExportFile(f"{stem}.json", "application/json", text.encode())
    return ExportFile(f"{stem}.yaml", "application/yaml", dump(data).encode())


def _event(step: FlowStepBody, edge: FlowEdgeBody) -> str | None:
    """The crewai event that takes `edge` out of `step`; None: the method's own name."""
    if step.kind == "router":
        return f"{step.key}_to_{edge.target}"
    if step.kind == "approval" and edge.on is not None:
        return f"{step.key}_{_OUTCOMES[edge.on]}"
    return None


def to_definition(body: FlowBody, crews: Mapping[str, CrewBody]) -> dict[str, Any]:
    problems: list[dict[str, Any]] = []
    steps = {s.key: s for s in body.steps}
    incoming: dict[str, list[str]] = {s.key: [] for s in body.steps}
    conditioned: dict[str, bool] = {s.key: False for s in body.steps}
    out: dict[str, list[tuple[int, FlowEdgeBody]]] = {s.key: [] for s in body.steps}
    for index, edge in enumerate(body.edges):
        if edge.source not in steps or edge.target not in steps:
            problems.append(_problem(f"/edges/{index}", "unknown_step", "An edge names no step."))
            continue
        source = steps[edge.source]
        event = _event(source, edge)
        approving = source.kind == "approval" and any(e.on for _, e in out[source.key])
        incoming[edge.target].append(event or edge.source)
        conditioned[edge.target] |= event is not None or approving
        out[edge.source].append((index, edge))
    methods: dict[str, Any] = {}
    for index, step in enumerate(body.steps):
        method = _method(index, step, body, crews, out[step.key], problems)
        sources = incoming[step.key]
        if not sources:
            method["start"] = True
        elif len(sources) == 1:
            method["listen"] = sources[0]
        else:
            method["listen"] = {"or" if conditioned[step.key] else "and": sources}
        if step.name:
            method["description"] = step.name
        methods[step.key] = method
    if problems:
        raise FlowNotExportable(problems)
    state: dict[str, Any] = {
        "type": "json_schema",
        "json_schema": {
            "type": "object",
            "properties": {i.name: {"type": "string"} for i in body.inputs},
        },
        "default": {i.name: i.default for i in body.inputs},
    }
    data: dict[str, Any] = {
        "schema": "crewai.flow/v1",
        "name": body.name,
        **({"description": body.description} if body.description else {}),
        **({"state": state} if body.inputs else {}),
        "methods": methods,
    }
    definition = FlowDefinition.model_validate(data)  # what crewai itself would load
    return definition.to_dict()


def _method(
    index: int,
    step: FlowStepBody,
    body: FlowBody,
    crews: Mapping[str, CrewBody],
    edges: list[tuple[int, FlowEdgeBody]],
    problems: list[dict[str, Any]],
) -> dict[str, Any]:
    at = f"/steps/{index}"
    if step.kind == "crew":
        if step.key not in crews:
            problems.append(_problem(f"{at}/crew_id", "missing_crew", "The step has no crew."))
            return {}
        inputs = {}
        for name, text in step.inputs.items():
            translated = template_out(text)
            if translated is None:
                problems.append(_unsayable(f"{at}/inputs/{name}"))
            inputs[name] = translated or ""
        action: dict[str, Any] = {"call": "crew", "with": _crew_definition(crews[step.key])}
        return {"do": action | ({"inputs": inputs} if inputs else {})}
    if step.kind == "router":
        chain = []
        default = None
        for edge_index, edge in edges:
            event = f"{step.key}_to_{edge.target}"
            if edge.default:
                default = event
            elif edge.when is not None:
                cel = condition_to_cel(edge.when)
                if cel is None:
                    problems.append(_unsayable(f"/edges/{edge_index}/when/path"))
                chain.append(f"{cel} ? {_literal(event)}")
        if default is None:
            problems.append(_problem(at, "router_without_default", "The router has no default."))
        expr = " : ".join([*chain, _literal(default)])
        emit = [f"{step.key}_to_{edge.target}" for _, edge in edges]
        return {"router": True, "emit": emit, "do": {"call": "expression", "expr": expr}}
    settings = step.approval or ApprovalSettings(question=f"Approve {step.name or step.key}?")
    review = review_to_cel(step.review)
    if review is None:
        problems.append(_unsayable(f"{at}/review"))
    feedback: dict[str, Any] = {
        "message": settings.question,
        "metadata": {"kasal": settings.model_dump(mode="json", exclude={"question"})},
    }
    if any(edge.on for _, edge in edges):
        feedback |= {
            "emit": [f"{step.key}_approved", f"{step.key}_rejected"],
            "default_outcome": f"{step.key}_{_OUTCOMES[settings.on_timeout]}",
        }
    return {"do": {"call": "expression", "expr": review or '""'}, "human_feedback": feedback}


def _unsayable(pointer: str) -> dict[str, Any]:
    return _problem(
        pointer,
        "path_not_exportable",
        f"{pointer}: crewai.flow/v1 has no counterpart for a task's output or a decision "
        "(only inputs.<name>, steps.<key>.output and steps.<key>.json.<field>).",
    )


def _crew_definition(crew: CrewBody) -> dict[str, Any]:
    """A crew inline, as CrewAI's `CrewDefinition` (agents by key, tasks in order) plus
    Kasal's crew settings, written by the crews domain's CrewAI YAML export."""
    files = {name: yaml.safe_load(text) for name, text in crew_porting.yaml_files(crew).items()}
    settings = dict(files["crew.yaml"])
    defaults = settings.pop("default_inputs", {}) or {}
    # CrewAI names a task by its key (what `context` refers to); Kasal's display name of it
    # travels as `title`.
    tasks = [
        {**{k: v for k, v in entry.items() if k != "name"}, "name": key}
        | ({"title": entry["name"]} if entry.get("name", key) != key else {})
        for key, entry in (files["tasks.yaml"] or {}).items()
    ]
    return {**settings, "agents": files["agents.yaml"] or {}, "tasks": tasks, "inputs": defaults}


# ---------------------------------------------------------------- import


def import_file(
    filename: str,
    data: bytes,
    resolve_model: ModelResolver,
    default_model: str | None,
    named_crews: Mapping[str, Any],
    mcp_server: Callable[[str], str | None],
) -> ImportedFlow:
    """A flow from a crewai.flow/v1 file; FlowImportInvalid lists every problem.

    `named_crews`: the group's crews by lower-cased name, for `from_declaration`."""
    if len(data) > MAX_IMPORT_BYTES:
        raise crew_porting.ImportTooLarge(filename)
    raw = _parse(filename, data)
    problems = _unsupported(raw)
    if problems:
        raise FlowImportInvalid(problems)
    try:
        definition = FlowDefinition.model_validate(raw)
    except ValidationError as exc:
        raise FlowImportInvalid(
            [
                _problem(
                    "/" + "/".join(str(part) for part in error["loc"] if not _is_class(part)),
                    "invalid_flow_definition",
                    error["msg"],
                )
                for error in exc.errors()
            ]
        ) from None
    reader = _Reader(definition, resolve_model, default_model, named_crews, mcp_server)
    body = reader.read()
    if reader.problems:
        raise FlowImportInvalid(reader.problems)
    return ImportedFlow(body, reader.crews, reader.notes)


def _is_class(part: Any) -> bool:
    """Pydantic names the union member it tried (`FlowCrewActionDefinition`) in `loc`."""
    return isinstance(part, str) and part[:1].isupper()


def _parse(filename: str, data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FlowImportInvalid([_problem("", "not_text", "The file is not UTF-8 text.")]) from None
    if filename.lower().endswith(".json"):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise FlowImportInvalid(
                [_problem("", "invalid_json", f"Not valid JSON: {exc}")]
            ) from None
    documents, issues = read_documents(text, filename)
    if issues or len(documents) != 1:
        message = issues[0].message if issues else "Send one YAML document."
        raise FlowImportInvalid([_problem("", "invalid_yaml", message)])
    return documents[0].data


def _unsupported(raw: Any) -> list[dict[str, Any]]:
    """What crewai.flow/v1 can say and Kasal cannot run, named before crewai's own checks
    (whose messages about a union of actions are long)."""
    if not isinstance(raw, dict):
        return [_problem("", "invalid_flow_definition", "A flow definition is a mapping.")]
    found = []
    for field in ("persist", "conversational"):
        if raw.get(field):
            found.append(_problem(f"/{field}", f"unsupported_{field}", _not_run(field)))
    config = raw.get("config")
    if isinstance(config, dict):
        defaults = FlowConfigDefinition().model_dump()
        for key, value in config.items():
            if defaults.get(key, object()) != value:
                found.append(_problem(f"/config/{key}", "unsupported_config", _not_run(key)))
    methods = raw.get("methods")
    for name, method in (methods or {}).items() if isinstance(methods, dict) else ():
        if not isinstance(method, dict):
            continue
        at = f"/methods/{name}"
        action = method.get("do")
        call = action.get("call") if isinstance(action, dict) else None
        if call in _UNSUPPORTED_CALLS:
            found.append(
                _problem(
                    f"{at}/do/call",
                    "unsupported_action",
                    f"`call: {call}` ({_UNSUPPORTED_CALLS[call]}) has no Kasal step: "
                    "a flow's steps are crews, routers and approvals.",
                )
            )
        if method.get("persist"):
            found.append(_problem(f"{at}/persist", "unsupported_persist", _not_run("persist")))
        start = method.get("start")
        if start is not None and not isinstance(start, bool):
            found.append(
                _problem(
                    f"{at}/start",
                    "unsupported_start",
                    "A conditional start has no Kasal counterpart: a step with no incoming "
                    "edge starts with the flow.",
                )
            )
    return found


def _not_run(field: str) -> str:
    return (
        f"`{field}` is not carried over: Kasal keeps every run's state in its database "
        "and runs flows its own way; remove it to import the flow."
    )


class _Reader:
    def __init__(
        self,
        definition: FlowDefinition,
        resolve_model: ModelResolver,
        default_model: str | None,
        named_crews: Mapping[str, Any],
        mcp_server: Callable[[str], str | None],
    ) -> None:
        self.definition = definition
        self.resolve_model = resolve_model
        self.default_model = default_model
        self.named_crews = named_crews
        self.mcp_server = mcp_server
        self.problems: list[dict[str, Any]] = []
        self.crews: dict[str, CrewBody] = {}
        self.notes: list[ImportNote] = []
        # event name → (emitting method, condition or default, decision)
        self.events: dict[str, tuple[str, Condition | None, bool, str | None]] = {}
        self.triggers: dict[tuple[str, str], str] = {}  # edge → the name its target listens to

    def read(self) -> FlowBody:
        steps = [
            self._step(name, method).model_copy(
                update={"name": method.description or _humanized(name)}
            )
            for name, method in self.definition.methods.items()
        ]
        edges = [
            edge
            for name, method in self.definition.methods.items()
            for edge in self._edges(name, method.listen)
        ]
        # A router takes its first edge whose condition holds: keep its expression's order.
        order = {(src, event): i for i, (event, (src, *_)) in enumerate(self.events.items())}
        rank = {
            (e.source, e.target): order.get((e.source, self.triggers[(e.source, e.target)]), -1)
            for e in edges
        }
        edges.sort(key=lambda e: rank[(e.source, e.target)])
        inputs = self._inputs()
        try:
            return FlowBody(
                name=self.definition.name,
                description=self.definition.description or "",
                inputs=inputs,
                steps=steps,
                edges=edges,
            )
        except ValidationError as exc:
            self.problems += [_problem("", "invalid_flow", e["msg"]) for e in exc.errors()]
            return FlowBody(name=self.definition.name or "Imported flow")

    def _inputs(self) -> list[FlowInput]:
        state = self.definition.state
        if state is None:
            return []
        defaults = state.default or {}
        if state.type == "dict":
            names = list(defaults)
        elif state.type == "json_schema":
            names = list(dict.fromkeys([*state.json_schema.get("properties", {}), *defaults]))
        else:
            self.problems.append(
                _problem(
                    "/state/type",
                    "unsupported_state",
                    f"A `{state.type}` state names Python code; declare the state as "
                    "`dict` or `json_schema` (its fields become the flow's inputs).",
                )
            )
            return []
        return [FlowInput(name=n, default=_text(defaults.get(n, ""))) for n in names]

    def _step(self, name: str, method: Any) -> FlowStepBody:
        at = f"/methods/{name}"
        action = method.do
        if method.human_feedback is not None:
            return self._approval(name, method, at)
        if method.router:
            return self._router(name, method, at)
        if action.call == "crew":
            return self._crew(name, action, at)
        self.problems.append(
            _problem(
                f"{at}/do/call",
                "unsupported_action",
                f"`call: {action.call}` outside a router or a human_feedback step has no "
                "Kasal step: a flow's steps are crews, routers and approvals.",
            )
        )
        return FlowStepBody(key=name, kind="crew")

    def _crew(self, name: str, action: Any, at: str) -> FlowStepBody:
        inputs = {}
        for field, value in (action.inputs or {}).items():
            translated = template_in(_text(value))
            if translated is None:
                self.problems.append(
                    _problem(
                        f"{at}/do/inputs/{field}",
                        "unsupported_expression",
                        "Only `${state.<field>}` and `${outputs.<method>.raw|json_dict.<f>}` "
                        "templates map onto a step's inputs.",
                    )
                )
            inputs[field] = translated or ""
        step = FlowStepBody(key=name, kind="crew", name=_humanized(name), inputs=inputs)
        if action.from_declaration:
            crew_id = self.named_crews.get(name_key(action.from_declaration))
            if crew_id is None:
                self.problems.append(
                    _problem(
                        f"{at}/do/from_declaration",
                        "unknown_crew",
                        f"No crew named {action.from_declaration!r} in this group: Kasal reads "
                        "no files; name a saved crew, or put the crew inline under `with`.",
                    )
                )
            return step.model_copy(update={"crew_id": crew_id})
        self._inline_crew(name, action.with_.model_dump(by_alias=True, exclude_none=True), at)
        return step

    def _inline_crew(self, name: str, crew: dict[str, Any], at: str) -> None:
        settings = {k: v for k, v in crew.items() if k not in ("agents", "tasks", "inputs")}
        settings.setdefault("name", _humanized(name))
        if crew.get("inputs"):
            settings["default_inputs"] = {k: _text(v) for k, v in crew["inputs"].items()}
        for agent in crew.get("agents", {}).values():
            if agent.get("settings") == {}:
                agent.pop("settings")  # crewai's default, not a setting
        tasks = {}
        for index, task in enumerate(crew.get("tasks", [])):
            entry = dict(task)
            key = entry.pop("name", None) or f"task_{index + 1}"
            if "title" in entry:
                entry["name"] = entry.pop("title")
            tasks[key] = entry
        files = {"crew.yaml": settings, "agents.yaml": crew.get("agents", {}), "tasks.yaml": tasks}
        text = "".join(
            f"{'---' + chr(10) if i else ''}# file: {file}\n{dump(content)}"
            for i, (file, content) in enumerate(files.items())
        )
        try:
            imported = crew_porting.import_file(
                f"{name}.yaml",
                text.encode(),
                self.resolve_model,
                self.default_model,
                named=False,
                mcp_server=self.mcp_server,
            )
        except InvalidInput as exc:
            for detail in exc.details:
                where = (
                    f" ({detail.get('file')}, {detail['pointer']})" if detail.get("pointer") else ""
                )
                self.problems.append(
                    _problem(f"{at}/do/with", "invalid_crew", f"{detail['message']}{where}")
                )
            return
        self.crews[name] = imported.body
        self.notes += [
            ImportNote(file=f"methods.{name}", line=None, message=n.message) for n in imported.notes
        ]

    def _router(self, name: str, method: Any, at: str) -> FlowStepBody:
        action = method.do
        if action.call != "expression":
            self.problems.append(
                _problem(
                    f"{at}/do/call",
                    "unsupported_router",
                    f"A router that decides by `call: {action.call}` has no Kasal counterpart: "
                    "a Kasal router tests conditions; write its `do` as an expression "
                    '(`outputs.m.json_dict.score >= 7 ? "good" : "rewrite"`).',
                )
            )
            return FlowStepBody(key=name, kind="router", name=_humanized(name))
        chain = read_conditions(action.expr)
        if isinstance(chain, str):
            self.problems.append(
                _problem(
                    f"{at}/do/expr",
                    "unsupported_condition",
                    f"The router's expression cannot be read as Kasal conditions ({chain}): "
                    'write it as `cond ? "event" : cond ? "event" : "default event"` where '
                    "each cond compares a path with ==, !=, <, <=, >, >=, `.contains(...)` or "
                    "`has(...)`.",
                )
            )
            for event in method.emit or []:  # its listeners are not problems of their own
                self.events[event] = (name, None, False, None)
            return FlowStepBody(key=name, kind="router", name=_humanized(name))
        declared = set(method.emit or [])
        for index, (condition, event) in enumerate(chain):
            if declared and event not in declared:
                self.problems.append(
                    _problem(f"{at}/emit", "undeclared_event", f"{event!r} is not in `emit`.")
                )
            is_default = index == len(chain) - 1
            self.events[event] = (name, condition, is_default, None)
        return FlowStepBody(key=name, kind="router", name=_humanized(name))

    def _approval(self, name: str, method: Any, at: str) -> FlowStepBody:
        feedback = method.human_feedback
        action = method.do
        review = review_from_cel(action.expr) if action.call == "expression" else None
        if review is None:
            self.problems.append(
                _problem(
                    f"{at}/do",
                    "unsupported_review",
                    "A human_feedback step maps onto an approval step when its `do` is an "
                    "expression of the text under review (strings and outputs/state paths "
                    "joined by +).",
                )
            )
        kasal = (feedback.metadata or {}).get("kasal", {})
        try:
            settings = ApprovalSettings.model_validate({**kasal, "question": feedback.message})
        except ValidationError as exc:
            self.problems.append(
                _problem(f"{at}/human_feedback/metadata/kasal", "invalid_approval", str(exc))
            )
            settings = ApprovalSettings(question=feedback.message)
        for event in feedback.emit or []:
            decision = _decision(event)
            if decision is None:
                self.problems.append(
                    _problem(
                        f"{at}/human_feedback/emit",
                        "unsupported_outcome",
                        f"The outcome {event!r} is neither an approval nor a rejection: a "
                        "Kasal approval answers approve or reject.",
                    )
                )
            self.events[event] = (name, None, False, decision)
        return FlowStepBody(
            key=name,
            kind="approval",
            name=_humanized(name),
            review=review or "",
            approval=settings,
        )

    def _edges(self, name: str, listen: Any) -> list[FlowEdgeBody]:
        at = f"/methods/{name}/listen"
        sources = _flatten(listen)
        if sources is None:
            self.problems.append(
                _problem(
                    at,
                    "unsupported_listen",
                    "Only one `and`/`or` of names maps onto edges (a nested mix does not).",
                )
            )
            return []
        edges = []
        for source in sources:
            if source in self.events:
                self.triggers[(self.events[source][0], name)] = source
                emitter, condition, is_default, decision = self.events[source]
                edges.append(
                    FlowEdgeBody(
                        source=emitter,
                        target=name,
                        when=condition,
                        default=is_default,
                        on=decision,
                    )
                )
            elif source in self.definition.methods:
                self.triggers[(source, name)] = source
                edges.append(FlowEdgeBody(source=source, target=name))
            else:
                self.problems.append(
                    _problem(at, "unknown_trigger", f"No method or event is named {source!r}.")
                )
        return edges


def _flatten(listen: Any) -> list[str] | None:
    if listen is None:
        return []
    if isinstance(listen, str):
        return [listen]
    if isinstance(listen, dict) and len(listen) == 1:
        (items,) = listen.values()
        if next(iter(listen)) in ("and", "or") and all(isinstance(i, str) for i in items):
            return list(items)
    return None


def _decision(event: str) -> str | None:
    lowered = event.lower()
    if lowered.endswith(("approve", "approved")):
        return "approve"
    if lowered.endswith(("reject", "rejected")):
        return "reject"
    return None


def _humanized(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
