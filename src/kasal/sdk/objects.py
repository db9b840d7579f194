"""`Agent`, `Task` and `Crew`: a crew described in Python, run here or on a Kasal server.

The objects hold what a CrewAI user would write; `Crew.to_document()` turns them into
the crew document the API and the canvas use (keys made from roles and task names, nodes
laid out left to right), and every way of running goes through that document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
)

from kasal.engine.spec import MemorySetting
from kasal.sdk.definition import CrewDefinitionError, crew_body
from kasal.sdk.output import CrewOutput

if TYPE_CHECKING:
    from kasal.client import AsyncKasal, Kasal

KEY_LIMIT = 40
NAME_LIMIT = 200
COLUMN_WIDTH = 320
AGENT_ROW_Y = 40
TASK_ROW_Y = 260


class Tool(BaseModel):
    """A tool of Kasal's catalog (e.g. `http_request`), with its per-use settings."""

    model_config = ConfigDict(extra="forbid")

    tool_id: str
    config: dict[str, Any] = Field(default_factory=dict)


def _tools(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [Tool(tool_id=item) if isinstance(item, str) else item for item in value]
    return value


# Tool ids or Tool objects, as the user likes to write them.
Tools = Annotated[list[Tool], BeforeValidator(_tools)]


class Agent(BaseModel):
    """A member of a crew. `model` is a model key of the server's catalog (e.g. `demo`,
    `gpt-4o`) or, in-process, `provider/model` (e.g. `openai/gpt-4o`); `llm=` works too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    role: str
    goal: str
    backstory: str = ""
    model: str | None = Field(None, validation_alias=AliasChoices("model", "llm"))
    tools: Tools = Field(default_factory=list)
    allow_delegation: bool = False
    max_iter: int = 20
    max_rpm: int | None = None
    max_execution_time: int | None = None
    reasoning: bool = False
    verbose: bool = False
    key: str | None = None

    def __repr__(self) -> str:
        return f"Agent(role={self.role!r}, model={self.model!r})"


class Task(BaseModel):
    """A piece of work for one agent. `context`: earlier tasks whose output it reads."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    description: str
    expected_output: str
    agent: Agent | None = None
    name: str = ""
    context: list[Task] = Field(default_factory=list)
    tools: Tools = Field(default_factory=list)
    async_execution: bool = False
    output_format: Literal["text", "json"] = "text"
    output_schema: dict[str, Any] | None = None
    markdown: bool = False
    human_input: bool = False
    # With human_input: question, answers, timeout_s, on_timeout, role (docs/approvals.md).
    approval: dict[str, Any] | None = None
    output_file: str | None = None  # in the run folder; downloadable from the run
    key: str | None = None

    def __repr__(self) -> str:
        return f"Task(name={self.name or self.description[:40]!r})"


class Crew(BaseModel):
    """Agents and their tasks. `kickoff()` runs it: on the Kasal server when one is
    configured (KASAL_URL and KASAL_TOKEN, or `kasal login`), else in this process.

    `verbose` shows the run's progress on stderr (only on a terminal).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    agents: list[Agent] = Field(default_factory=list)
    tasks: list[Task]
    name: str | None = None
    description: str = ""
    process: Literal["sequential", "hierarchical"] = "sequential"
    manager_llm: str | None = None
    planning: bool = False
    memory: MemorySetting = "off"  # True/False as in crewai: run/off
    embedder: str | None = None
    max_rpm: int | None = None
    verbose: bool = True

    _layout: dict[str, Any] | None = PrivateAttr(None)
    _crew_id: str | None = PrivateAttr(None)
    _engine_verbose: bool = PrivateAttr(False)

    @field_validator("process", mode="before")
    @classmethod
    def _process_name(cls, value: Any) -> Any:
        """CrewAI's `Process.sequential` is accepted as well as "sequential"."""
        return getattr(value, "value", value)

    @property
    def id(self) -> str | None:
        """The crew's id on the server, once saved or loaded."""
        return self._crew_id

    # ------------------------------------------------------------------ running

    def kickoff(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        verbose: bool | None = None,
        client: Kasal | None = None,
        raise_on_failure: bool = True,
    ) -> CrewOutput:
        """Run the crew and wait for its result.

        On a server (`client`, else the configured login) the crew is saved there first
        (created, or updated when it changed), so the run shows on the canvas too; with
        no server configured it runs in this process. `inputs` fill the `{placeholders}`
        of the texts. A run that does not succeed raises RunFailedError (its result in
        `.result`) unless `raise_on_failure=False`. Ctrl-C cancels the run.
        """
        from kasal.sdk import local, remote

        values = _inputs(inputs)
        show = self.verbose if verbose is None else verbose
        server = client if client is not None else remote.configured_client()
        if server is not None:
            output = remote.kickoff(self, values, server, show, owned=client is None)
        else:
            output = local.kickoff(self, values, show)
        return output.checked() if raise_on_failure else output

    async def kickoff_async(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        verbose: bool | None = None,
        client: AsyncKasal | None = None,
        raise_on_failure: bool = True,
    ) -> CrewOutput:
        """`kickoff` for asyncio code; cancelling the task cancels the run."""
        from kasal.sdk import local, remote

        values = _inputs(inputs)
        show = self.verbose if verbose is None else verbose
        server = client if client is not None else remote.configured_async_client()
        if server is not None:
            try:
                output = await remote.akickoff(self, values, server, show)
            finally:
                if client is None:
                    await server.aclose()
        else:
            output = await local.akickoff(self, values, show)
        return output.checked() if raise_on_failure else output

    async def akickoff(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        verbose: bool | None = None,
        client: AsyncKasal | None = None,
        raise_on_failure: bool = True,
    ) -> CrewOutput:
        """The same as `kickoff_async` (CrewAI's name for it)."""
        return await self.kickoff_async(
            inputs, verbose=verbose, client=client, raise_on_failure=raise_on_failure
        )

    def kickoff_for_each(
        self, inputs: list[Mapping[str, Any]], *, verbose: bool | None = None
    ) -> list[CrewOutput]:
        """One run per set of inputs, one after the other."""
        return [self.kickoff(values, verbose=verbose) for values in inputs]

    # ------------------------------------------------------------------ the server

    def save(self, *, client: Kasal | None = None) -> str:
        """Store the crew on the server (create, or update the crew of the same name or id)
        so it opens on the canvas. Returns its id."""
        from kasal.sdk import remote

        server = client if client is not None else remote.required_client()
        try:
            return str(server._run(remote.save(self, server.aio)).id)
        finally:
            if client is None:
                server.close()

    @classmethod
    def load(cls, crew: str, *, client: Kasal | None = None) -> Crew:
        """A crew of the server, by id or exact name, to run or change here."""
        from kasal.sdk import remote

        server = client if client is not None else remote.required_client()
        try:
            found = server.crews.find(crew)
        finally:
            if client is None:
                server.close()
        loaded = cls.from_document(found.document())
        loaded._crew_id = str(found.id)
        return loaded

    # ------------------------------------------------------------------ documents and YAML

    def to_document(self) -> dict[str, Any]:
        """The crew document (the JSON the crews API and the canvas use)."""
        agents = self._all_agents()
        tasks = self.tasks
        keys = _Keys()
        agent_keys = {id(a): keys.claim(a.key, a.role, "agent") for a in agents}
        task_keys = {id(t): keys.claim(t.key, t.name or t.description, "task") for t in tasks}
        return {
            "name": self._name(),
            "description": self.description,
            "process": self.process,
            "manager_llm": self.manager_llm,
            "planning": self.planning,
            "memory": self.memory,
            "embedder": self.embedder,
            "max_rpm": self.max_rpm,
            "verbose": self._engine_verbose,
            "agents": [_agent_document(a, agent_keys[id(a)]) for a in agents],
            "tasks": [_task_document(t, task_keys, agent_keys) for t in tasks],
            "layout": self._layout_for(agents, tasks, agent_keys, task_keys),
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Crew:
        """SDK objects from a crew document (keys and layout are kept)."""
        agents = {
            a["key"]: Agent.model_validate(
                {
                    **{k: v for k, v in a.items() if k in Agent.model_fields and k != "model"},
                    "model": a.get("llm"),
                }
            )
            for a in document.get("agents") or []
        }
        tasks: dict[str, Task] = {}
        for t in document.get("tasks") or []:
            fields = {k: v for k, v in t.items() if k in Task.model_fields}
            fields["agent"] = agents.get(t.get("agent") or "")
            fields["context"] = [tasks[k] for k in t.get("context") or [] if k in tasks]
            tasks[t["key"]] = Task.model_validate(fields)
        settings = {
            k: document[k]
            for k in (
                "name",
                "description",
                "process",
                "manager_llm",
                "planning",
                "memory",
                "embedder",
                "max_rpm",
            )
            if k in document
        }
        crew = cls(agents=list(agents.values()), tasks=list(tasks.values()), **settings)
        crew._layout = dict(document.get("layout") or {}) or None
        crew._engine_verbose = bool(document.get("verbose", False))
        return crew

    def to_yaml(self) -> str:
        """CrewAI-style YAML (crew.yaml, agents.yaml and tasks.yaml as one multi-document
        file), the same the server exports and imports."""
        from kasal.crews import porting

        return porting.export_yaml(crew_body(self.to_document()))

    @classmethod
    def from_yaml(cls, source: str | Path) -> Crew:
        """A crew from CrewAI-style YAML: a path, or the text itself."""
        from kasal.core.errors import KasalError
        from kasal.crews import porting

        filename, text = "crew.yaml", source
        if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml"))):
            path = Path(source)
            filename, text = path.name, path.read_text(encoding="utf-8")
        try:
            body = porting.import_file(filename, str(text).encode(), lambda model: model).body
        except KasalError as exc:
            raise CrewDefinitionError(_describe(exc.message, exc.details)) from exc
        return cls.from_document(body.model_dump(mode="json"))

    # ------------------------------------------------------------------ internals

    def _all_agents(self) -> list[Agent]:
        """The crew's agents, plus any agent a task names that was not listed."""
        agents = list(self.agents)
        for task in self.tasks:
            if task.agent is not None and all(a is not task.agent for a in agents):
                agents.append(task.agent)
        return agents

    def _name(self) -> str:
        if self.name:
            return self.name
        roles = list(dict.fromkeys(a.role for a in self._all_agents() if a.role))
        name = (", ".join(roles) or "Untitled") + " crew"
        return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"

    def _layout_for(
        self,
        agents: list[Agent],
        tasks: list[Task],
        agent_keys: dict[int, str],
        task_keys: dict[int, str],
    ) -> dict[str, Any]:
        """Left to right: task i in column i, each agent above its first task.

        Positions loaded from the server or YAML are kept for the keys that still exist.
        """
        nodes: dict[str, dict[str, float]] = {}
        for column, task in enumerate(tasks):
            x = float(column * COLUMN_WIDTH)
            nodes[task_keys[id(task)]] = {"x": x, "y": float(TASK_ROW_Y)}
            if task.agent is not None and agent_keys[id(task.agent)] not in nodes:
                nodes[agent_keys[id(task.agent)]] = {"x": x, "y": float(AGENT_ROW_Y)}
        column = len(tasks)
        for agent in agents:
            if agent_keys[id(agent)] not in nodes:
                nodes[agent_keys[id(agent)]] = {"x": float(column * COLUMN_WIDTH), "y": 40.0}
                column += 1
        layout = dict(self._layout or {})
        kept = layout.get("nodes") or {}
        nodes.update({key: kept[key] for key in nodes if key in kept})
        viewport = layout.get("viewport") or {"x": 0.0, "y": 0.0, "zoom": 1.0}
        return {"nodes": nodes, "viewport": viewport}


class _Keys:
    """Keys unique across agents and tasks (one key space): slugs, numbered on a clash."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, explicit: str | None, text: str, fallback: str) -> str:
        if explicit:
            if explicit in self.taken:
                raise CrewDefinitionError(f"The key {explicit!r} is used more than once")
            self.taken.add(explicit)
            return explicit
        stem = _slug(text) or fallback
        key, number = stem, 2
        while key in self.taken:
            suffix = f"_{number}"
            key, number = stem[: KEY_LIMIT - len(suffix)] + suffix, number + 1
        self.taken.add(key)
        return key


def _slug(text: str) -> str:
    """`Research Analyst` → `research_analyst`; a long description → its first words."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}_{word}" if slug else word
        if len(candidate) > KEY_LIMIT:
            break
        slug = candidate
    return slug or (words[0][:KEY_LIMIT] if words else "")


def _agent_document(agent: Agent, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "role": agent.role,
        "goal": agent.goal,
        "backstory": agent.backstory,
        "llm": agent.model,
        "tools": [t.model_dump() for t in agent.tools],
        "allow_delegation": agent.allow_delegation,
        "max_iter": agent.max_iter,
        "max_rpm": agent.max_rpm,
        "max_execution_time": agent.max_execution_time,
        "reasoning": agent.reasoning,
        "verbose": agent.verbose,
    }


def _task_document(
    task: Task, task_keys: dict[int, str], agent_keys: dict[int, str]
) -> dict[str, Any]:
    context = []
    for earlier in task.context:
        if id(earlier) not in task_keys:
            raise CrewDefinitionError(
                f"Task {task!r} uses {earlier!r} as context, but that task is not in the crew"
            )
        context.append(task_keys[id(earlier)])
    return {
        "key": task_keys[id(task)],
        "name": task.name,
        "description": task.description,
        "expected_output": task.expected_output,
        "agent": agent_keys[id(task.agent)] if task.agent is not None else None,
        "context": context,
        "tools": [t.model_dump() for t in task.tools],
        "async_execution": task.async_execution,
        "output_format": task.output_format,
        "output_schema": task.output_schema,
        "markdown": task.markdown,
        "human_input": task.human_input,
        "approval": task.approval,
        "output_file": task.output_file,
    }


def _describe(message: str, details: list[Any]) -> str:
    lines = [message]
    for detail in details:
        if isinstance(detail, dict):
            where = ":".join(str(p) for p in (detail.get("file"), detail.get("line")) if p)
            lines.append(f"  {where + ': ' if where else ''}{detail.get('message', '')}")
    return "\n".join(lines)


def _inputs(inputs: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (inputs or {}).items()}
