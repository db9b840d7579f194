"""Checks on a crew spec that need no crewai, so the API can run them on save.

`build.py` runs the same checks before building: a run never starts on a spec
that cannot work, and the user sees every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from kasal.engine.spec import CrewSpec, ToolRef
from kasal.engine.tools.catalog import ToolConfigError, UnknownTool, parse_config


def spec_problems(crew: CrewSpec, llm_keys: Collection[str]) -> list[str]:
    """Everything wrong with `crew`, given the model keys the run can resolve."""
    problems: list[str] = []
    agent_keys = [a.key for a in crew.agents]
    task_keys = [t.key for t in crew.tasks]
    problems += _duplicates("agent", agent_keys) + _duplicates("task", task_keys)
    if not crew.tasks:
        problems.append("The crew has no tasks.")
    default_llm_ok = len(llm_keys) == 1
    for agent in crew.agents:
        if agent.llm is None and not default_llm_ok:
            problems.append(f"Agent {agent.key!r} has no model.")
        elif agent.llm is not None and agent.llm not in llm_keys:
            problems.append(f"Agent {agent.key!r} uses unknown model {agent.llm!r}.")
        problems += _tool_problems(f"agent {agent.key!r}", agent.tools)
    for index, task in enumerate(crew.tasks):
        where = f"Task {task.key!r}"
        if task.agent is None and crew.process == "sequential":
            problems.append(f"{where} has no agent (a sequential crew needs one per task).")
        elif task.agent is not None and task.agent not in agent_keys:
            problems.append(f"{where} is assigned to unknown agent {task.agent!r}.")
        earlier = set(task_keys[:index])
        problems += [
            f"{where} uses {key!r} as context, which is not an earlier task."
            for key in task.context
            if key not in earlier
        ]
        if task.human_input:
            problems.append(
                f"{where} asks for human input, which a background run cannot collect. "
                "Turn human input off."
            )
        if task.output_schema is not None and task.output_format != "json":
            problems.append(f"{where} has an output schema but its output format is not json.")
        problems += _tool_problems(f"task {task.key!r}", task.tools)
    problems += _concurrent_agent_problems(crew)
    if crew.tasks and crew.tasks[-1].async_execution:
        problems.append("The last task cannot run asynchronously: the crew waits for its result.")
    if crew.process == "hierarchical":
        if crew.manager_llm is None:
            problems.append("A hierarchical crew needs a manager model (manager_llm).")
        elif crew.manager_llm not in llm_keys:
            problems.append(f"The manager model {crew.manager_llm!r} is unknown.")
    if crew.memory:
        if crew.embedder is None:
            problems.append(
                "Memory needs an embedding model: set the crew's embedder to an embedding model."
            )
        elif crew.embedder not in llm_keys:
            problems.append(f"The embedding model {crew.embedder!r} is unknown.")
    return problems


# The placeholders crewai interpolates: `{topic}`, not JSON such as `{"a": 1}`.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_\-]*)}")


def required_inputs(crew: CrewSpec) -> set[str]:
    """The `{name}` placeholders of the crew's texts: the inputs a run must provide."""
    texts = [t for a in crew.agents for t in (a.role, a.goal, a.backstory)]
    texts += [t for task in crew.tasks for t in (task.description, task.expected_output)]
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}


def input_problems(crew: CrewSpec, inputs: Mapping[str, str]) -> list[str]:
    return [
        f"The input {name!r} is missing (the crew's texts use {{{name}}})."
        for name in sorted(required_inputs(crew) - inputs.keys())
    ]


def _concurrent_agent_problems(crew: CrewSpec) -> list[str]:
    """Consecutive async tasks run at once, and one crewai agent cannot run twice at once."""
    problems = []
    running: dict[str, str] = {}  # agent key → task key, for the current async group
    for task in crew.tasks:
        if not task.async_execution:
            running.clear()
            continue
        if task.agent is not None and task.agent in running:
            problems.append(
                f"Tasks {running[task.agent]!r} and {task.key!r} run at the same time "
                f"(asynchronously) but share agent {task.agent!r}; give them different agents."
            )
        if task.agent is not None:
            running[task.agent] = task.key
    return problems


def _duplicates(kind: str, keys: list[str]) -> list[str]:
    return [
        f"Two {kind}s share the key {key!r}." for key in sorted(set(keys)) if keys.count(key) > 1
    ]


def _tool_problems(owner: str, tools: list[ToolRef]) -> list[str]:
    problems = []
    for ref in tools:
        try:
            parse_config(ref.tool_id, ref.config)
        except (UnknownTool, ToolConfigError) as exc:
            problems.append(f"On {owner}: {exc}")
    return problems
