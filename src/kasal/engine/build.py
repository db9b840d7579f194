"""CrewSpec → crewai Agent / Task / Crew objects for one run.

Besides the crew, the build returns what the rest of the engine needs to report
on it: crewai ids mapped back to the spec's keys (events carry crewai ids), the
tasks by key (for their outputs) and the LLM objects with their model keys (their
token counters give the run's usage, and their config its cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crewai import Agent, Crew, Process, Task
from crewai.llms.base_llm import BaseLLM
from crewai.memory.unified_memory import Memory
from crewai.tasks.output_format import OutputFormat
from crewai.tasks.task_output import TaskOutput
from crewai.tools import BaseTool
from crewai.utilities.pydantic_schema_utils import create_model_from_schema
from crewai.utilities.string_utils import sanitize_tool_name
from pydantic import BaseModel, ConfigDict

from kasal.engine.errors import InvalidSpec
from kasal.engine.llm import build_llm
from kasal.engine.memory import build_memory
from kasal.engine.pause import Segment
from kasal.engine.spec import (
    PERSISTENT_SCOPES,
    AgentSpec,
    LLMConfig,
    RunRequest,
    TaskSpec,
    ToolRef,
)
from kasal.engine.tools import mcp
from kasal.engine.tools.base import ToolContext
from kasal.engine.tools.catalog import DATABRICKS_KEY
from kasal.engine.tools.factory import ToolOrigin, build_tools, tool_origin
from kasal.engine.tools.knowledge import TOOL_NAME, knowledge_tool
from kasal.engine.tools.openapi import source_facts
from kasal.engine.validate import (
    PLACEHOLDER,
    RunFacts,
    check,
    errors,
    input_problems,
    output_file_issue,
)


class AnyJson(BaseModel):
    """Output model for a JSON task without a schema: any object is accepted."""

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class BuiltCrew:
    crew: Crew
    tasks: dict[str, Task]  # spec key → task (every task; the crew has the segment's)
    task_keys: dict[str, str]  # crewai task id → spec key
    agent_keys: dict[str, str]  # crewai agent id → spec key
    llms: list[tuple[str, BaseLLM]]  # (model key, LLM object) for every object built
    tools: dict[str, ToolOrigin]  # the name crewai's events give a tool → what it is
    output_files: dict[str, str]  # spec key → file in the run folder, inputs filled in
    memory: Memory | None = None  # closed when the run ends: its saves run in a thread


class _RunLLMs:
    """A new LLM object for every user (agent, manager, planner, memory).

    Users can call at the same moment (async tasks, background memory saves), and
    an LLM object's token counters are not thread-safe; separate objects also keep
    one user's stop words or state away from another's.
    """

    def __init__(self, configs: dict[str, LLMConfig]) -> None:
        self.configs = configs
        self.built: list[tuple[str, BaseLLM]] = []

    def new(self, key: str | None) -> BaseLLM:
        if key is None:  # validation guarantees a single model here
            key = next(iter(self.configs))
        llm = build_llm(self.configs[key])
        self.built.append((key, llm))
        return llm


class _RunTools:
    """The crewai tools of the run's tool uses, remembering which use each one comes from."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.origins: dict[str, ToolOrigin] = {}

    def build(self, refs: list[ToolRef]) -> list[BaseTool]:
        tools = []
        for ref in refs:
            for tool in build_tools([ref], self.ctx):
                self._remember(tool, tool_origin(ref, tool))
                tools.append(tool)
        return tools

    def knowledge(self, agent_key: str, base_ids: list[str]) -> list[BaseTool]:
        """The agent's `knowledge_search` over its bases; none when it has no base."""
        if not base_ids:
            return []
        bases = [self.ctx.request.knowledge[base_id] for base_id in base_ids]
        tool = knowledge_tool(bases, agent_key)
        self._remember(tool, ToolOrigin(TOOL_NAME))
        return [tool]

    def _remember(self, tool: BaseTool, origin: ToolOrigin) -> None:
        # Native function calls report the sanitised name, crewai's text path its own.
        self.origins[tool.name] = self.origins[sanitize_tool_name(tool.name)] = origin


def build_crew(
    request: RunRequest,
    mcp_servers: Mapping[str, mcp.ConnectedServer] | None = None,
    segment: Segment | None = None,
) -> BuiltCrew:
    """Raises InvalidSpec (listing every problem) when the spec cannot run.

    `mcp_servers`: the run's connections to the MCP servers its tools name (see run.py).
    `segment`: the tasks this run executes when the crew pauses (see pause.py); the crew
    holds those, the tasks before them carry their finished outputs.
    """
    spec = request.crew
    servers = mcp_servers or {}
    facts = RunFacts(
        request.llms.keys(),
        sources={**source_facts(request), **mcp.source_facts(servers)},
        tool_keys=_tool_keys(request),
        connections=request.connections.keys(),
        knowledge_bases=request.knowledge.keys(),
    )
    found = errors(check(spec, facts))
    problems = [f.message for f in found] + input_problems(spec, request.inputs)
    segment = segment or Segment(0, len(spec.tasks) - 1)
    running = spec.tasks[segment.start : segment.stop + 1]
    output_files = _output_files(running, request.inputs)
    problems += [
        f"The output file of task {key!r} is not usable with these inputs: {issue}"
        for key, path in output_files.items()
        if (issue := output_file_issue(path)) is not None
    ]
    if problems:
        raise InvalidSpec("The crew cannot run: " + " ".join(problems))
    work_dir = Path(request.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    llms = _RunLLMs(dict(request.llms))
    tools = _RunTools(ToolContext(request, work_dir, servers))
    agents = {a.key: _agent(a, llms, tools, spec.knowledge_of(a)) for a in spec.agents}
    tasks: dict[str, Task] = {}
    for task_spec in spec.tasks:
        tasks[task_spec.key] = _task(task_spec, agents, tasks, tools)
    _resume(spec.tasks, tasks, segment)
    first_llm = spec.manager_llm or (spec.agents[0].llm if spec.agents else None)
    options: dict[str, Any] = {}
    memory: Memory | None = None
    if spec.process == "hierarchical":
        options["manager_llm"] = llms.new(spec.manager_llm)
    if spec.planning:  # the planning itself runs before kickoff: see planning.py
        options["planning_llm"] = llms.new(first_llm)
    if spec.memory != "off" and spec.embedder is not None:
        shared = request.memory_dir if spec.memory in PERSISTENT_SCOPES else None
        options["memory"] = memory = build_memory(
            request.llms[spec.embedder],
            llms.new(first_llm),
            work_dir,
            Path(shared) if shared is not None else None,
        )
    crew = Crew(
        name=spec.name,
        agents=list(agents.values()),
        tasks=[tasks[task.key] for task in running],
        process=Process(spec.process),
        verbose=spec.verbose,
        max_rpm=spec.max_rpm,
        **options,
    )
    return BuiltCrew(
        crew=crew,
        tasks=tasks,
        task_keys={str(task.id): key for key, task in tasks.items()},
        agent_keys={str(agent.id): key for key, agent in agents.items()},
        llms=llms.built,
        tools=tools.origins,
        output_files=output_files,
        memory=memory,
    )


def _resume(specs: list[TaskSpec], tasks: dict[str, Task], segment: Segment) -> None:
    """Give the tasks before the segment their finished outputs, and the segment's tasks the
    context one uninterrupted sequential crewai run would give them: crewai's default
    context (the outputs so far; an asynchronous task, the last synchronous one's) is made
    explicit, because the crew only holds the segment. A reply is added to the context of
    the asking task, after what it had."""
    if segment.start == 0 and segment.feedback is None:
        return  # a run from the start: crewai's own defaults are exactly that
    for task_spec in specs[: segment.start]:
        finished = segment.done.get(task_spec.key)
        if finished is not None:
            tasks[task_spec.key].output = _restored(
                tasks[task_spec.key], finished.raw, finished.json
            )
    for index in range(segment.start, segment.stop + 1):
        task_spec, task = specs[index], tasks[specs[index].key]
        if task_spec.context:
            context = [tasks[key] for key in task_spec.context]
        elif task_spec.async_execution:
            synchronous = [t for t in specs[:index] if not t.async_execution]
            context = [tasks[t.key] for t in synchronous[-1:]]
        else:
            context = [tasks[t.key] for t in specs[:index]]
        if index == segment.start and segment.feedback is not None:
            context.append(_feedback_task(segment.feedback))
        task.context = context


def _restored(task: Task, raw: str, parsed: dict[str, Any] | None) -> TaskOutput:
    return TaskOutput(
        description=task.description,
        name=task.name,
        expected_output=task.expected_output,
        raw=raw,
        json_dict=parsed,
        agent=task.agent.role if task.agent is not None else "",
        output_format=OutputFormat.JSON if parsed else OutputFormat.RAW,
    )


def _feedback_task(text: str) -> Task:
    """A task never run, whose output is a person's feedback: crewai hands it on as context."""
    feedback = Task(description="Human feedback", expected_output="Feedback")
    feedback.output = TaskOutput(description="Human feedback", raw=text, agent="human")
    return feedback


def _tool_keys(request: RunRequest) -> set[str]:
    """The keys the run's tools have: the workspace token counts as the databricks key."""
    keys = set(request.tool_keys)
    return keys | {DATABRICKS_KEY} if request.databricks is not None else keys


def _output_files(tasks: list[TaskSpec], inputs: Mapping[str, str]) -> dict[str, str]:
    """Each task's output file with its placeholders filled in, as CrewAI fills them.

    The engine writes these files itself (see run.py) instead of handing `output_file` to
    crewai, which writes relative to the process's working directory, shared by every run
    of a worker. An input can hold `/` or `..`, so the filled-in path is checked again.
    """
    return {
        task.key: PLACEHOLDER.sub(lambda m: inputs.get(m[1], m[0]), task.output_file)
        for task in tasks
        if task.output_file is not None
    }


def _agent(spec: AgentSpec, llms: _RunLLMs, tools: _RunTools, knowledge: list[str]) -> Agent:
    # max_retry_limit=0: the SDKs already retry transient HTTP errors; re-running a
    # whole task after that (crewai's default, twice) only repeats a failure slowly.
    return Agent(
        role=spec.role,
        goal=spec.goal,
        backstory=spec.backstory,
        llm=llms.new(spec.llm),
        tools=tools.build(spec.tools) + tools.knowledge(spec.key, knowledge),
        allow_delegation=spec.allow_delegation,
        max_iter=spec.max_iter,
        max_rpm=spec.max_rpm,
        max_execution_time=spec.max_execution_time,
        reasoning=spec.reasoning,
        verbose=spec.verbose,
        max_retry_limit=0,
    )


def _task(
    spec: TaskSpec,
    agents: dict[str, Agent],
    earlier: dict[str, Task],
    tools: _RunTools,
) -> Task:
    options: dict[str, Any] = {}
    if spec.context:  # otherwise crewai's default: the previous task's output
        options["context"] = [earlier[key] for key in spec.context]
    if spec.tools:
        options["tools"] = tools.build(spec.tools)
    if spec.output_format == "json":
        options["output_json"] = _output_model(spec)
    return Task(
        name=spec.name,
        description=spec.description,
        expected_output=spec.expected_output,
        agent=agents[spec.agent] if spec.agent else None,
        async_execution=spec.async_execution,
        markdown=spec.markdown,
        **options,
    )


def _output_model(spec: TaskSpec) -> type[BaseModel]:
    if spec.output_schema is None:
        return AnyJson
    try:
        return create_model_from_schema(spec.output_schema, model_name=f"{spec.key}_output")
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidSpec(f"Task {spec.key!r} has an invalid output schema: {exc}") from exc
