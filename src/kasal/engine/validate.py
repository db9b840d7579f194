"""The rules of a crew, written once: the API checks them on save and run, the engine
before it builds.

They live in the engine and work on the spec (`CrewSpec`) because of the layering: the
engine imports no domain, and the crews domain may import the engine, so this is the one
place both can reach. The spec has the document's field names and order (see
`crews.document.to_spec`), so a JSON pointer into the spec is a pointer into the crew
document the user edits. What differs between the callers is only what they know about
models and tools, so they pass it as `Facts`: the API the group's catalog (kinds, enabled,
API keys; `crews.validation` maps findings to `Problem`s), the engine the models resolved
for this run and the built-in tools (`RunFacts`).

Every rule is linear in agents + tasks + context entries (a 200-task crew whose tasks each
take all earlier ones as context is 20,000 entries): indexes are built once, and cycles
come from one strongly-connected-components pass instead of a search per entry.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kasal.engine.providers import TOOL_KEY_LABELS
from kasal.engine.spec import CrewSpec, TaskSpec, ToolRef
from kasal.engine.tools.catalog import CATALOG, ToolConfig, ToolConfigError, parse_config
from kasal.engine.tools.refs import SourceFacts, source_problem, source_ref

Severity = Literal["error", "warning"]
ModelKind = Literal["chat", "embedding"]

# The stable codes, with what each means. docs/crews.md lists the same table.
CODES: dict[str, str] = {
    "no_agents": "The crew has no agents.",
    "no_tasks": "The crew has no tasks.",
    "duplicate_key": "Two agents or tasks share a key.",
    "empty_field": "A required text (role, goal, description, expected output) is empty.",
    "agent_without_model": "An agent has no model.",
    "unknown_model": "A model key that the group's catalog does not have.",
    "model_disabled": "A model that is disabled.",
    "wrong_model_kind": "A chat model where an embedding model is needed, or the reverse.",
    "missing_api_key": "A model whose provider needs an API key the group has not set.",
    "unknown_tool": "A tool id that does not exist.",
    "unknown_tool_source": "An `mcp:` or `openapi:` tool naming a source the group lacks.",
    "tool_source_disabled": "An `mcp:` or `openapi:` tool whose source is disabled.",
    "unknown_source_tool": "A tool its source did not offer when last discovered.",
    "tool_disabled": "A tool that is disabled for the group.",
    "invalid_tool_config": "A tool configuration that does not match the tool's schema.",
    "missing_tool_key": "A tool use calling a service whose API key the group has not set.",
    "unknown_connection": "A tool naming a database connection the group does not have.",
    "duplicate_tool": "The same tool is given twice to one agent or task.",
    "unknown_knowledge_base": "A knowledge base id the group does not have.",
    "task_without_agent": "A task with no agent (a warning in a hierarchical crew).",
    "unknown_agent": "A task assigned to a key that is not an agent of the crew.",
    "unused_agent": "An agent no task is assigned to (sequential crews).",
    "concurrent_agent": "Asynchronous tasks that run at the same time share an agent.",
    "unknown_context": "A context entry that is not a task of the crew.",
    "context_later_task": "A context entry naming a task that runs later.",
    "context_cycle": "Context entries that form a cycle (or a task using itself).",
    "duplicate_context": "The same task listed twice as context.",
    "manager_llm_missing": "A hierarchical crew without a manager model.",
    "memory_without_embedder": "Memory is on but no embedding model is chosen.",
    "human_input_unsupported": "Human input where a crew cannot pause: a hierarchical or "
    "planning crew, an asynchronous task.",
    "json_output_without_schema": "JSON output without a schema: any JSON object is accepted.",
    "invalid_output_schema": "The output schema is not a usable JSON schema.",
    "schema_without_json_output": "An output schema on a task whose output format is text.",
    "last_task_async": "The last task runs asynchronously; the crew waits for its result.",
    "invalid_output_file": "An output file that is not a relative path inside the run folder.",
}

# CrewAI's placeholder grammar, exactly (`crewai.utilities.string_utils._VARIABLE_PATTERN`,
# copied because the API process must not import crewai). CrewAI has no escape: in
# `{{name}}` it finds `{name}`, demands an input for it and leaves `{value}` in the text.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_\-]*)}")

_JSON_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


@dataclass(frozen=True)
class Finding:
    """One problem: where (a JSON pointer), which rule (a code of CODES), what to do."""

    pointer: str
    code: str
    message: str
    severity: Severity = "error"


class Facts(Protocol):
    """What a caller knows about models and tools; the rules need nothing else."""

    @property
    def default_model(self) -> str | None:
        """The model an agent without one runs on, if there is such a model."""
        ...

    def model_problem(self, key: str, kind: ModelKind) -> tuple[str, str] | None:
        """(code, message) when model `key` cannot serve as a `kind` model."""
        ...

    def tool_enabled(self, tool_id: str) -> bool | None:
        """Whether the built-in tool may be used; None when there is no such tool."""
        ...

    def source(self, kind: str, name: str) -> SourceFacts | None:
        """What is known of the group's tool source (an MCP server...); None: no such one."""
        ...

    def has_tool_key(self, provider: str) -> bool:
        """Whether a key for the API-key provider (`serper`...) is there for the tools."""
        ...

    def has_connection(self, name: str) -> bool:
        """Whether the group has a database connection of this name."""
        ...

    def has_knowledge_base(self, base_id: str) -> bool:
        """Whether the group has a knowledge base of this id."""
        ...


@dataclass(frozen=True, kw_only=True)
class ToolFacts:
    """The part of `Facts` both callers know the same way: the tool sources, the API-key
    providers with a key, the database connections and the knowledge bases there are (for
    the group, or for this run)."""

    sources: Mapping[tuple[str, str], SourceFacts] = field(default_factory=dict)
    tool_keys: Collection[str] = frozenset()
    connections: Collection[str] = frozenset()
    knowledge_bases: Collection[str] = frozenset()

    def source(self, kind: str, name: str) -> SourceFacts | None:
        return self.sources.get((kind, name))

    def has_tool_key(self, provider: str) -> bool:
        return provider in self.tool_keys

    def has_connection(self, name: str) -> bool:
        return name in self.connections

    def has_knowledge_base(self, base_id: str) -> bool:
        return base_id in self.knowledge_bases


@dataclass(frozen=True)
class RunFacts(ToolFacts):
    """The engine's facts: the models, tool keys and connections resolved for this run, and
    the built-in tools.

    An agent without a model runs on the run's model when there is exactly one.
    """

    llm_keys: Collection[str]

    @property
    def default_model(self) -> str | None:
        return next(iter(self.llm_keys)) if len(self.llm_keys) == 1 else None

    def model_problem(self, key: str, kind: ModelKind) -> tuple[str, str] | None:
        if key in self.llm_keys:
            return None
        return "unknown_model", f"The model {key!r} was not resolved for this run."

    def tool_enabled(self, tool_id: str) -> bool | None:
        return True if tool_id in CATALOG else None


def check(crew: CrewSpec, facts: Facts) -> list[Finding]:
    """Every problem of `crew` at once, errors and warnings, in document order."""
    return list(_Rules(crew, facts).run())


def errors(found: Iterable[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == "error"]


def placeholders(texts: Iterable[str]) -> list[str]:
    """The placeholder names in `texts`, in first-seen order: the inputs they need."""
    seen: dict[str, None] = {}
    for text in texts:
        for name in PLACEHOLDER.findall(text):
            seen.setdefault(name, None)
    return list(seen)


def required_inputs(crew: CrewSpec) -> list[str]:
    """The inputs a run of `crew` must be given: CrewAI interpolates every one of them."""
    texts = [t for a in crew.agents for t in (a.role, a.goal, a.backstory)]
    texts += [t for task in crew.tasks for t in (task.description, task.expected_output)]
    texts += [task.output_file for task in crew.tasks if task.output_file]  # CrewAI fills it too
    return placeholders(texts)


def _tool_configs(crew: CrewSpec) -> Iterator[ToolConfig]:
    """The configuration of every valid built-in tool use of the crew (an invalid one is a
    problem of its own, `invalid_tool_config`, which blocks the run)."""
    for ref in crew.tool_uses():
        if ref.tool_id in CATALOG:
            with suppress(ToolConfigError):
                yield parse_config(ref.tool_id, ref.config)


def required_tool_keys(crew: CrewSpec) -> set[str]:
    """The API-key providers whose keys a run of `crew` needs for its built-in tool uses."""
    return {provider for config in _tool_configs(crew) for provider in config.keys_needed()}


def connections_used(crew: CrewSpec) -> set[str]:
    """The names of the database connections the crew's tools use."""
    return {name for config in _tool_configs(crew) for name in config.connections().values()}


def input_problems(crew: CrewSpec, inputs: Mapping[str, str]) -> list[str]:
    return [
        f"The input {name!r} is missing (the crew's texts use {{{name}}})."
        for name in required_inputs(crew)
        if name not in inputs
    ]


class _Rules:
    """One pass over the crew, with every index built once."""

    def __init__(self, crew: CrewSpec, facts: Facts) -> None:
        self.crew = crew
        self.facts = facts
        self.agent_keys = {a.key for a in crew.agents}
        self.position = {t.key: i for i, t in enumerate(crew.tasks)}
        self.cyclic = _cyclic_context(crew.tasks, self.position)

    def run(self) -> Iterator[Finding]:
        yield from self._crew_rules()
        for index, agent in enumerate(self.crew.agents):
            where = f"/agents/{index}"
            for name in ("role", "goal"):
                if not getattr(agent, name).strip():
                    yield Finding(
                        f"{where}/{name}", "empty_field", f"Agent {agent.key!r} has no {name}."
                    )
            if agent.llm is not None:
                yield from self._model(f"{where}/llm", agent.llm, "chat")
            elif self.facts.default_model is None:
                yield Finding(
                    f"{where}/llm", "agent_without_model", f"Agent {agent.key!r} has no model."
                )
            yield from self._tools(where, f"agent {agent.key!r}", agent.tools)
            yield from self._knowledge(where, agent.knowledge)
        yield from self._unused_agents()
        for index, task in enumerate(self.crew.tasks):
            yield from self._task_rules(index, task)
        yield from self._concurrent_agents()

    def _crew_rules(self) -> Iterator[Finding]:
        crew = self.crew
        if not crew.agents:
            yield Finding("/agents", "no_agents", "The crew has no agents: add at least one.")
        if not crew.tasks:
            yield Finding("/tasks", "no_tasks", "The crew has no tasks: add at least one.")
        keys = Counter([a.key for a in crew.agents] + [t.key for t in crew.tasks])
        for key in sorted(k for k, n in keys.items() if n > 1):
            yield Finding(
                "", "duplicate_key", f"Agents and tasks share one key space; {key!r} is reused."
            )
        if crew.process == "hierarchical" and crew.manager_llm is None:
            yield Finding(
                "/manager_llm",
                "manager_llm_missing",
                "A hierarchical crew needs a manager model (manager_llm).",
            )
        if crew.manager_llm is not None:
            yield from self._model("/manager_llm", crew.manager_llm, "chat")
        if crew.memory != "off" and crew.embedder is None:
            yield Finding(
                "/embedder",
                "memory_without_embedder",
                "Memory needs an embedding model: choose one as the crew's embedder.",
            )
        if crew.embedder is not None:
            yield from self._model("/embedder", crew.embedder, "embedding")
        yield from self._knowledge("", crew.knowledge)

    def _knowledge(self, where: str, base_ids: list[str]) -> Iterator[Finding]:
        for index, base_id in enumerate(base_ids):
            if not self.facts.has_knowledge_base(base_id):
                yield Finding(
                    f"{where}/knowledge/{index}",
                    "unknown_knowledge_base",
                    f"There is no knowledge base {base_id!r} in this group.",
                )

    def _model(self, pointer: str, key: str, kind: ModelKind) -> Iterator[Finding]:
        problem = self.facts.model_problem(key, kind)
        if problem is not None:
            yield Finding(pointer, *problem)

    def _tools(self, where: str, owner: str, tools: list[ToolRef]) -> Iterator[Finding]:
        seen: set[str] = set()
        for index, ref in enumerate(tools):
            pointer = f"{where}/tools/{index}"
            problems = list(self._tool(pointer, ref))
            yield from problems
            if any(p.code == "unknown_tool" for p in problems):
                continue
            if ref.tool_id in seen:
                yield Finding(
                    f"{pointer}/tool_id",
                    "duplicate_tool",
                    f"The tool {ref.tool_id!r} is given to {owner} more than once.",
                    "warning",
                )
            seen.add(ref.tool_id)

    def _tool(self, pointer: str, ref: ToolRef) -> Iterator[Finding]:
        source = source_ref(ref.tool_id)
        if source is not None:
            problem = source_problem(source, self.facts.source(source.kind, source.source))
            if problem is not None:
                yield Finding(f"{pointer}/tool_id", *problem)
            if ref.config:
                message = f"The tool {ref.tool_id!r} takes no configuration here."
                yield Finding(f"{pointer}/config", "invalid_tool_config", message)
            return
        enabled = self.facts.tool_enabled(ref.tool_id)
        if enabled is None:
            yield Finding(
                f"{pointer}/tool_id", "unknown_tool", f"There is no tool {ref.tool_id!r}."
            )
            return
        if not enabled:
            yield Finding(
                f"{pointer}/tool_id",
                "tool_disabled",
                f"The tool {ref.tool_id!r} is disabled for this group.",
            )
        if ref.tool_id in CATALOG:
            yield from self._tool_config(pointer, ref)

    def _tool_config(self, pointer: str, ref: ToolRef) -> Iterator[Finding]:
        try:
            config = parse_config(ref.tool_id, ref.config)
        except ToolConfigError as exc:
            yield Finding(f"{pointer}/config", "invalid_tool_config", str(exc))
            return
        for provider in sorted(config.keys_needed()):
            if not self.facts.has_tool_key(provider):
                yield Finding(
                    f"{pointer}/config",
                    "missing_tool_key",
                    f"The tool {ref.tool_id!r} uses {TOOL_KEY_LABELS[provider]}, and the "
                    f"group has no {provider} API key: add one under Settings > API keys.",
                )
        for field_name, name in config.connections().items():
            if not self.facts.has_connection(name):
                yield Finding(
                    f"{pointer}/config/{field_name}",
                    "unknown_connection",
                    f"There is no database connection {name!r} in this group: "
                    "add it under Settings > Connections.",
                )

    def _unused_agents(self) -> Iterator[Finding]:
        if self.crew.process != "sequential":
            return  # a manager may delegate to any agent
        assigned = {t.agent for t in self.crew.tasks}
        for index, agent in enumerate(self.crew.agents):
            if agent.key not in assigned:
                yield Finding(
                    f"/agents/{index}",
                    "unused_agent",
                    f"No task is assigned to agent {agent.key!r}.",
                    "warning",
                )

    def _task_rules(self, index: int, task: TaskSpec) -> Iterator[Finding]:
        where = f"/tasks/{index}"
        name = repr(task.key)
        for field_name in ("description", "expected_output"):
            if not getattr(task, field_name).strip():
                label = field_name.replace("_", " ")
                yield Finding(
                    f"{where}/{field_name}", "empty_field", f"Task {name} has no {label}."
                )
        yield from self._assignment(where, task)
        yield from self._context(where, index, task)
        yield from self._tools(where, f"task {name}", task.tools)
        if task.human_input:
            yield from self._human_input(where, task)
        yield from _output_rules(where, task)
        if task.output_file is not None:
            issue = output_file_issue(task.output_file)
            if issue is not None:
                yield Finding(
                    f"{where}/output_file",
                    "invalid_output_file",
                    f"The output file of task {name} is not usable: {issue}",
                )
        if task.async_execution and index == len(self.crew.tasks) - 1:
            yield Finding(
                f"{where}/async_execution",
                "last_task_async",
                f"Task {name} is the last task and cannot run asynchronously: "
                "the crew waits for its result.",
            )

    def _human_input(self, where: str, task: TaskSpec) -> Iterator[Finding]:
        """A sequential crew pauses after the task (see engine/pause.py); a manager's
        delegation, a plan made for every task at once and a task running alongside
        others have no such point between tasks."""
        why = (
            "a hierarchical crew's manager decides the order of its tasks"
            if self.crew.process == "hierarchical"
            else "a planning crew plans every task before the first one runs"
            if self.crew.planning
            else "it runs asynchronously, alongside the next tasks"
            if task.async_execution
            else None
        )
        if why is not None:
            yield Finding(
                f"{where}/human_input",
                "human_input_unsupported",
                f"Task {task.key!r} asks for a person's review, which cannot happen here: "
                f"{why}. Only a sequential crew's synchronous tasks can pause.",
            )

    def _assignment(self, where: str, task: TaskSpec) -> Iterator[Finding]:
        if task.agent is None:
            hierarchical = self.crew.process == "hierarchical"
            yield Finding(
                f"{where}/agent",
                "task_without_agent",
                f"Task {task.key!r} has no agent"
                + (" (the manager will choose one)." if hierarchical else "."),
                "warning" if hierarchical else "error",
            )
        elif task.agent not in self.agent_keys:
            what = "a task" if task.agent in self.position else "not in the crew"
            yield Finding(
                f"{where}/agent",
                "unknown_agent",
                f"Task {task.key!r} is assigned to {task.agent!r}, which is {what}, not an agent.",
            )

    def _context(self, where: str, index: int, task: TaskSpec) -> Iterator[Finding]:
        seen: set[str] = set()
        for entry, key in enumerate(task.context):
            pointer = f"{where}/context/{entry}"
            if key in seen:
                yield Finding(
                    pointer,
                    "duplicate_context",
                    f"Task {task.key!r} lists {key!r} as context twice.",
                    "warning",
                )
                continue
            seen.add(key)
            if key not in self.position:
                yield Finding(
                    pointer, "unknown_context", f"Context {key!r} is not a task of this crew."
                )
            elif key == task.key or self.cyclic.get(key, -1) == self.cyclic.get(task.key, -2):
                yield Finding(
                    pointer,
                    "context_cycle",
                    f"Task {task.key!r} uses {key!r} as context, which (through its own context) "
                    f"depends on {task.key!r}: a cycle.",
                )
            elif self.position[key] > index:
                yield Finding(
                    pointer,
                    "context_later_task",
                    f"Task {task.key!r} uses {key!r} as context, but {key!r} runs later.",
                )

    def _concurrent_agents(self) -> Iterator[Finding]:
        """Consecutive async tasks run at once, and one crewai agent cannot run twice at once."""
        running: dict[str, str] = {}  # agent key → task key, for the current async group
        for index, task in enumerate(self.crew.tasks):
            if not task.async_execution:
                running.clear()
                continue
            if task.agent is not None and task.agent in running:
                yield Finding(
                    f"/tasks/{index}/agent",
                    "concurrent_agent",
                    f"Tasks {running[task.agent]!r} and {task.key!r} run at the same time "
                    f"(asynchronously) but share agent {task.agent!r}; give them different agents.",
                )
            if task.agent is not None:
                running[task.agent] = task.key


def _cyclic_context(tasks: list[TaskSpec], position: Mapping[str, int]) -> dict[str, int]:
    """Each task on a context cycle, mapped to its cycle's number (Tarjan, iteratively).

    Two tasks with the same number depend on each other through context. Linear in tasks
    plus context entries; tasks on no cycle are left out.
    """
    graph = [[position[k] for k in dict.fromkeys(t.context) if k in position] for t in tasks]
    index_of: list[int | None] = [None] * len(tasks)
    low = [0] * len(tasks)
    on_stack = [False] * len(tasks)
    stack: list[int] = []
    component: dict[str, int] = {}
    counter = 0
    for root in range(len(tasks)):
        if index_of[root] is not None:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index_of[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if edge < len(graph[node]):
                work.append((node, edge + 1))
                target = graph[node][edge]
                if index_of[target] is None:
                    work.append((target, 0))
                elif on_stack[target]:
                    low[node] = min(low[node], index_of[target] or 0)
                continue
            if work:  # returning to the caller: pass the low-link up
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    component.update({tasks[m].key: node for m in members})
    return component


def _output_rules(where: str, task: TaskSpec) -> Iterator[Finding]:
    if task.output_format == "text":
        if task.output_schema is not None:
            yield Finding(
                f"{where}/output_schema",
                "schema_without_json_output",
                f"Task {task.key!r} has an output schema but its output format is text: "
                "set the output format to json or remove the schema.",
            )
        return
    if task.output_schema is None:
        yield Finding(
            f"{where}/output_schema",
            "json_output_without_schema",
            f"Task {task.key!r} outputs JSON without a schema: any JSON object is accepted.",
            "warning",
        )
        return
    issue = schema_issue(task.output_schema)
    if issue is not None:
        yield Finding(
            f"{where}/output_schema",
            "invalid_output_schema",
            f"The output schema of task {task.key!r} is not usable: {issue}",
        )


def output_file_issue(path: str) -> str | None:
    """Why `path` cannot name a file of a run's folder, if it cannot.

    The one rule for a task's `output_file` (checked on save, and again by the engine once
    the inputs are filled in) and for the file a client downloads from a run: a relative
    path of plain names, so it can never reach outside the folder. Hidden names (a part
    starting with a dot, `..` included) are refused too: the engine keeps its own stores
    (`.crewai`, `.memory`) in the folder, and a file there would be lost or clobber them.
    """
    if not path.strip():
        return "give a file name, such as report.md."
    if "\x00" in path or "\\" in path:
        return "use / between folders, and no control characters."
    parts = path.split("/")
    if path.startswith(("/", "~")) or re.match(r"[A-Za-z]:", path):
        return (
            f"{path!r} is absolute; give a path relative to the run folder, like output/report.md."
        )
    if ".." in parts:
        return f"'..' is not allowed in {path!r}: the file must stay inside the run folder."
    if any(not part.strip() or part.startswith(".") for part in parts):
        return f"{path!r} has an empty or hidden (dot) part; hidden names belong to the engine."
    return None


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
