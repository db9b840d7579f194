"""Every rule a crew document is checked against, in one place and without a database.

`problems(body, catalog)` takes the document and the facts about the group's catalog
(which models and tools exist, are enabled, have a key) and returns every problem at
once, each with a JSON pointer to the field at fault and a stable `code`.

Problems never block a save: a crew is drafted over many saves. Error-severity ones
block a run (see `service.snapshot_for_run`); warnings are advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kasal.agents.schemas import ToolUse
from kasal.crews.schemas import CrewBody, CrewTask, Problem, Severity
from kasal.engine.tools.catalog import CATALOG, ToolConfigError, parse_config

# The stable codes, with what each means. docs/crews.md lists the same table.
CODES: dict[str, str] = {
    "no_agents": "The crew has no agents.",
    "no_tasks": "The crew has no tasks.",
    "empty_field": "A required text (role, goal, description, expected output) is empty.",
    "agent_without_model": "An agent has no model.",
    "unknown_model": "A model key that the group's catalog does not have.",
    "model_disabled": "A model that is disabled.",
    "wrong_model_kind": "A chat model where an embedding model is needed, or the reverse.",
    "missing_api_key": "A model whose provider needs an API key the group has not set.",
    "unknown_tool": "A tool id that does not exist.",
    "tool_disabled": "A tool that is disabled for the group.",
    "invalid_tool_config": "A tool configuration that does not match the tool's schema.",
    "duplicate_tool": "The same tool is given twice to one agent or task.",
    "task_without_agent": "A task with no agent (a warning in a hierarchical crew).",
    "unknown_agent": "A task assigned to a key that is not an agent of the crew.",
    "unused_agent": "An agent no task is assigned to (sequential crews).",
    "unknown_context": "A context entry that is not a task of the crew.",
    "context_later_task": "A context entry naming a task that runs later.",
    "context_cycle": "Context entries that form a cycle (or a task using itself).",
    "duplicate_context": "The same task listed twice as context.",
    "manager_llm_missing": "A hierarchical crew without a manager model.",
    "memory_without_embedder": "Memory is on but no embedding model is chosen.",
    "human_input_unsupported": "Human input cannot be collected in a background run.",
    "json_output_without_schema": "JSON output without a schema: any JSON object is accepted.",
    "invalid_output_schema": "The output schema is not a usable JSON schema.",
    "schema_without_json_output": "An output schema on a task whose output format is text.",
    "last_task_async": "The last task runs asynchronously; the crew waits for its result.",
}

_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


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
class Catalog:
    """The facts of one group: its models by key, and its tools' enabled state by id."""

    models: Mapping[str, ModelFacts] = field(default_factory=dict)
    tools: Mapping[str, bool] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, pointer: str, code: str, message: str, severity: Severity = "error") -> None:
        self.found.append(Problem(pointer=pointer, code=code, message=message, severity=severity))


def problems(body: CrewBody, catalog: Catalog) -> list[Problem]:
    out = _Problems()
    _crew_rules(body, catalog, out)
    for index, agent in enumerate(body.agents):
        where = f"/agents/{index}"
        for name in ("role", "goal"):
            if not getattr(agent, name).strip():
                out.add(f"{where}/{name}", "empty_field", f"Agent {agent.key!r} has no {name}.")
        if agent.llm is None:
            out.add(f"{where}/llm", "agent_without_model", f"Agent {agent.key!r} has no model.")
        else:
            _model_rules(f"{where}/llm", agent.llm, "chat", catalog, out)
        _tool_rules(where, f"agent {agent.key!r}", agent.tools, catalog, out)
    _unused_agents(body, out)
    for index, task in enumerate(body.tasks):
        _task_rules(body, index, task, catalog, out)
    return out.found


def has_errors(found: list[Problem]) -> bool:
    return any(p.severity == "error" for p in found)


def _crew_rules(body: CrewBody, catalog: Catalog, out: _Problems) -> None:
    if not body.agents:
        out.add("/agents", "no_agents", "The crew has no agents: add at least one.")
    if not body.tasks:
        out.add("/tasks", "no_tasks", "The crew has no tasks: add at least one.")
    if body.process == "hierarchical" and body.manager_llm is None:
        out.add(
            "/manager_llm",
            "manager_llm_missing",
            "A hierarchical crew needs a manager model (manager_llm).",
        )
    if body.manager_llm is not None:
        _model_rules("/manager_llm", body.manager_llm, "chat", catalog, out)
    if body.memory and body.embedder is None:
        out.add(
            "/embedder",
            "memory_without_embedder",
            "Memory needs an embedding model: choose one as the crew's embedder.",
        )
    if body.embedder is not None:
        _model_rules("/embedder", body.embedder, "embedding", catalog, out)


def _model_rules(pointer: str, key: str, kind: str, catalog: Catalog, out: _Problems) -> None:
    model = catalog.models.get(key)
    if model is None:
        out.add(pointer, "unknown_model", f"There is no model {key!r} in this group's catalog.")
    elif model.kind != kind:
        out.add(
            pointer,
            "wrong_model_kind",
            f"The model {key!r} is an {model.kind} model; this needs a {kind} model."
            if model.kind == "embedding"
            else f"The model {key!r} is a {model.kind} model; this needs an {kind} model.",
        )
    elif not model.enabled:
        out.add(pointer, "model_disabled", f"The model {key!r} is disabled.")
    elif not model.has_key:
        out.add(
            pointer,
            "missing_api_key",
            f"No API key for provider {model.provider} (model {key!r}): "
            "add one under Settings > API keys.",
        )


def _tool_rules(
    where: str, owner: str, tools: list[ToolUse], catalog: Catalog, out: _Problems
) -> None:
    seen: set[str] = set()
    for index, use in enumerate(tools):
        pointer = f"{where}/tools/{index}"
        known = use.tool_id in CATALOG or use.tool_id in catalog.tools
        if not known:
            out.add(f"{pointer}/tool_id", "unknown_tool", f"There is no tool {use.tool_id!r}.")
            continue
        if not catalog.tools.get(use.tool_id, True):
            out.add(
                f"{pointer}/tool_id",
                "tool_disabled",
                f"The tool {use.tool_id!r} is disabled for this group.",
            )
        if use.tool_id in CATALOG:
            try:
                parse_config(use.tool_id, use.config)
            except ToolConfigError as exc:
                out.add(f"{pointer}/config", "invalid_tool_config", str(exc))
        if use.tool_id in seen:
            out.add(
                f"{pointer}/tool_id",
                "duplicate_tool",
                f"The tool {use.tool_id!r} is given to {owner} more than once.",
                "warning",
            )
        seen.add(use.tool_id)


def _unused_agents(body: CrewBody, out: _Problems) -> None:
    if body.process != "sequential":
        return  # a manager may delegate to any agent
    assigned = {t.agent for t in body.tasks}
    for index, agent in enumerate(body.agents):
        if agent.key not in assigned:
            out.add(
                f"/agents/{index}",
                "unused_agent",
                f"No task is assigned to agent {agent.key!r}.",
                "warning",
            )


def _task_rules(
    body: CrewBody, index: int, task: CrewTask, catalog: Catalog, out: _Problems
) -> None:
    where = f"/tasks/{index}"
    name = repr(task.key)
    for field_name in ("description", "expected_output"):
        if not getattr(task, field_name).strip():
            label = field_name.replace("_", " ")
            out.add(f"{where}/{field_name}", "empty_field", f"Task {name} has no {label}.")
    _assignment_rules(body, where, task, out)
    _context_rules(body, where, index, task, out)
    _tool_rules(where, f"task {name}", task.tools, catalog, out)
    if task.human_input:
        out.add(
            f"{where}/human_input",
            "human_input_unsupported",
            f"Task {name} asks for human input, which a background run cannot collect.",
        )
    _output_rules(where, task, out)
    if task.async_execution and index == len(body.tasks) - 1:
        out.add(
            f"{where}/async_execution",
            "last_task_async",
            f"Task {name} is the last task and cannot run asynchronously: "
            "the crew waits for its result.",
        )


def _assignment_rules(body: CrewBody, where: str, task: CrewTask, out: _Problems) -> None:
    if task.agent is None:
        hierarchical = body.process == "hierarchical"
        out.add(
            f"{where}/agent",
            "task_without_agent",
            f"Task {task.key!r} has no agent"
            + (" (the manager will choose one)." if hierarchical else "."),
            "warning" if hierarchical else "error",
        )
    elif task.agent not in {a.key for a in body.agents}:
        what = "a task" if task.agent in {t.key for t in body.tasks} else "not in the crew"
        out.add(
            f"{where}/agent",
            "unknown_agent",
            f"Task {task.key!r} is assigned to {task.agent!r}, which is {what}, not an agent.",
        )


def _context_rules(body: CrewBody, where: str, index: int, task: CrewTask, out: _Problems) -> None:
    position = {t.key: i for i, t in enumerate(body.tasks)}
    seen: set[str] = set()
    for entry, key in enumerate(task.context):
        pointer = f"{where}/context/{entry}"
        if key in seen:
            out.add(
                pointer,
                "duplicate_context",
                f"Task {task.key!r} lists {key!r} as context twice.",
                "warning",
            )
            continue
        seen.add(key)
        if key not in position:
            out.add(pointer, "unknown_context", f"Context {key!r} is not a task of this crew.")
        elif key == task.key or _reaches(body, key, task.key):
            out.add(
                pointer,
                "context_cycle",
                f"Task {task.key!r} uses {key!r} as context, which (through its own context) "
                f"depends on {task.key!r}: a cycle.",
            )
        elif position[key] > index:
            out.add(
                pointer,
                "context_later_task",
                f"Task {task.key!r} uses {key!r} as context, but {key!r} runs later.",
            )


def _reaches(body: CrewBody, start: str, goal: str) -> bool:
    """Whether `start` depends on `goal` through context, directly or not."""
    context = {t.key: t.context for t in body.tasks}
    stack, visited = [start], set()
    while stack:
        key = stack.pop()
        if key == goal:
            return True
        if key in visited:
            continue
        visited.add(key)
        stack.extend(context.get(key, []))
    return False


def _output_rules(where: str, task: CrewTask, out: _Problems) -> None:
    if task.output_format == "text":
        if task.output_schema is not None:
            out.add(
                f"{where}/output_schema",
                "schema_without_json_output",
                f"Task {task.key!r} has an output schema but its output format is text: "
                "set the output format to json or remove the schema.",
            )
        return
    if task.output_schema is None:
        out.add(
            f"{where}/output_schema",
            "json_output_without_schema",
            f"Task {task.key!r} outputs JSON without a schema: any JSON object is accepted.",
            "warning",
        )
        return
    issue = schema_issue(task.output_schema)
    if issue is not None:
        out.add(
            f"{where}/output_schema",
            "invalid_output_schema",
            f"The output schema of task {task.key!r} is not usable: {issue}",
        )


def schema_issue(schema: Mapping[str, Any]) -> str | None:
    """Why `schema` is not an object JSON schema CrewAI can turn into a model, if it is not."""
    if schema.get("type") != "object":
        return 'the top level must be {"type": "object", "properties": {...}}.'
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return '"properties" must be a non-empty object.'
    for name, prop in properties.items():
        issue = _property_issue(prop)
        if issue is not None:
            return f"property {name!r}: {issue}"
    required = schema.get("required", [])
    if not isinstance(required, list) or any(r not in properties for r in required):
        return '"required" must list names of properties.'
    return None


def _property_issue(prop: Any) -> str | None:
    if not isinstance(prop, dict):
        return "must be an object."
    kind = prop.get("type")
    if kind is None:
        composite = any(k in prop for k in ("$ref", "anyOf", "oneOf", "allOf", "enum", "const"))
        return None if composite else 'needs a "type".'
    kinds = kind if isinstance(kind, list) else [kind]
    if not kinds or any(k not in _JSON_TYPES for k in kinds):
        return f"unknown type {kind!r}."
    if "object" in kinds and "properties" in prop:
        nested = schema_issue(prop)
        return None if nested is None else nested
    if "array" in kinds and "items" in prop:
        return _property_issue(prop["items"])
    return None
