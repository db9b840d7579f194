"""What follows from a crew document: its edges, its inputs, its engine spec.

Edges and inputs are derived, never stored, so the document has one source of truth:
`tasks[].agent` and `tasks[].context` are the graph, the texts are the inputs.
"""

from __future__ import annotations

from typing import Literal

from kasal.agents.schemas import ToolUse
from kasal.crews.schemas import CrewBody, Edge
from kasal.engine import validate
from kasal.engine.spec import AgentSpec, CrewSpec, TaskSpec, ToolRef


def edges(body: CrewBody) -> list[Edge]:
    """Assignment edges (agent → task) then context edges (earlier task → task using it).

    References to keys that do not exist draw no edge; validation reports them.
    """
    agents = {a.key for a in body.agents}
    tasks = {t.key for t in body.tasks}
    found: list[Edge] = []
    for task in body.tasks:
        if task.agent in agents:
            found.append(_edge(task.agent, task.key, "assignment"))
    for task in body.tasks:
        for source in dict.fromkeys(task.context):
            if source in tasks and source != task.key:
                found.append(_edge(source, task.key, "context"))
    return found


def _edge(source: str, target: str, kind: Literal["assignment", "context"]) -> Edge:
    return Edge(id=f"{source}->{target}", source=source, target=target, kind=kind)


def inputs(body: CrewBody) -> list[str]:
    """The `{placeholders}` a run must be given, in first-seen order.

    The engine's rule (CrewAI's own grammar), so the inputs asked for here are exactly
    those the run interpolates.
    """
    return validate.required_inputs(to_spec(body))


def to_spec(body: CrewBody) -> CrewSpec:
    """The engine's plain spec. Field names are the same on both sides by design."""
    return CrewSpec(
        name=body.name,
        process=body.process,
        manager_llm=body.manager_llm,
        planning=body.planning,
        memory=body.memory,
        embedder=body.embedder,
        max_rpm=body.max_rpm,
        verbose=body.verbose,
        knowledge=body.knowledge,
        agents=[
            AgentSpec.model_validate({**a.model_dump(exclude={"tools"}), "tools": _tools(a.tools)})
            for a in body.agents
        ],
        tasks=[
            TaskSpec.model_validate(
                {
                    **t.model_dump(exclude={"tools"}),
                    "name": t.name or t.key,
                    "tools": _tools(t.tools),
                }
            )
            for t in body.tasks
        ],
    )


def _tools(uses: list[ToolUse]) -> list[ToolRef]:
    return [ToolRef(tool_id=use.tool_id, config=use.config) for use in uses]
