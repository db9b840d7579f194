"""A design (what a model answers) to a crew document, and back; layout; what changed.

A refinement keeps everything the design does not speak of: an agent or task whose key
stays keeps its model, its tools' configuration and its settings, and its place on the
canvas. New agents get the model that designed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from kasal.agents.schemas import ToolUse
from kasal.crews.schemas import CrewAgent, CrewBody, CrewTask, Layout, Position
from kasal.crews.validation import Catalog
from kasal.engine.tools.catalog import CATALOG, ToolConfigError, ToolInfo, parse_config
from kasal.generate.schemas import CrewDesign, DesignAgent, DesignTask

# The canvas's own auto-layout spacing (frontend/src/canvas/layout.ts).
COLUMN_WIDTH = 340
ROW_HEIGHT = 170


def offered_tools(catalog: Catalog, *, python_enabled: bool) -> dict[str, ToolInfo]:
    """The built-in tools a design may use: enabled for the group and usable as they are
    (no connection to name, every API key they call with there)."""
    offered: dict[str, ToolInfo] = {}
    for info in CATALOG.values():
        if info.id == "python" and not python_enabled:
            continue
        try:
            config = parse_config(info.id, {})
        except ToolConfigError:
            continue  # needs configuration first (sql_query names a connection)
        if catalog.tool_enabled(info.id) and all(map(catalog.has_tool_key, config.keys_needed())):
            offered[info.id] = info
    return offered


def agent_of(design: DesignAgent, model: str, old: CrewAgent | None = None) -> CrewAgent:
    kept = {use.tool_id: use for use in old.tools} if old is not None else {}
    tools = [
        kept.get(tool_id) or ToolUse(tool_id=tool_id) for tool_id in dict.fromkeys(design.tools)
    ]
    base = old.model_dump() if old is not None else {"llm": model}
    return CrewAgent.model_validate(
        {
            **base,
            "key": design.key,
            "role": design.role,
            "goal": design.goal,
            "backstory": design.backstory,
            "tools": tools,
        }
    )


def task_of(design: DesignTask, old: CrewTask | None = None) -> CrewTask:
    base = old.model_dump() if old is not None else {}
    return CrewTask.model_validate(
        {
            **base,
            "key": design.key,
            "name": design.name or (old.name if old is not None else ""),
            "description": design.description,
            "expected_output": design.expected_output,
            "agent": design.agent,
            "context": list(dict.fromkeys(design.context)),
        }
    )


def to_body(design: CrewDesign, model: str, base: CrewBody | None = None) -> CrewBody:
    """The crew document of a design (ValidationError when it breaks the crew schema)."""
    old_agents = {a.key: a for a in base.agents} if base is not None else {}
    old_tasks = {t.key: t for t in base.tasks} if base is not None else {}
    agents = [agent_of(a, model, old_agents.get(a.key)) for a in design.agents]
    tasks = [task_of(t, old_tasks.get(t.key)) for t in design.tasks]
    settings: dict[str, Any] = (
        base.model_dump(exclude={"agents", "tasks", "layout"}) if base else {}
    )
    body = CrewBody.model_validate(
        {
            **settings,
            "name": base.name if base is not None else design.name,
            "description": design.description or settings.get("description", ""),
            "default_inputs": {**settings.get("default_inputs", {}), **design.default_inputs},
            "agents": agents,
            "tasks": tasks,
        }
    )
    old = base.layout if base is not None else Layout()
    nodes = layout(body.agents, body.tasks, old.nodes)
    return body.model_copy(update={"layout": Layout(nodes=nodes, viewport=old.viewport)})


def design_of(body: CrewBody) -> CrewDesign:
    """The design view of a crew, as a refinement shows it to the model."""
    return CrewDesign(
        name=body.name,
        description=body.description,
        agents=[
            DesignAgent(
                key=a.key,
                role=a.role or a.key,
                goal=a.goal or a.role or a.key,
                backstory=a.backstory,
                tools=[use.tool_id for use in a.tools],
            )
            for a in body.agents
        ],
        tasks=[
            DesignTask(
                key=t.key,
                name=t.name,
                description=t.description or t.key,
                expected_output=t.expected_output or "-",
                agent=t.agent or (body.agents[0].key if body.agents else t.key),
                context=t.context,
            )
            for t in body.tasks
        ],
        default_inputs=body.default_inputs,
    )


def layout(
    agents: Sequence[CrewAgent], tasks: Sequence[CrewTask], keep: Mapping[str, Position]
) -> dict[str, Position]:
    """Columns by dependency (agent → task, task → task through context), rows in order.

    Positions in `keep` stay; a new node that would land on one moves down until free.
    """
    column: dict[str, int] = {}
    for task in tasks:
        before = [column.get(k, 0) for k in task.context]
        column[task.key] = max([1, *(c + 1 for c in before)])
    for agent in agents:
        columns = [column[t.key] for t in tasks if t.agent == agent.key]
        column[agent.key] = max(0, min(columns) - 1) if columns else 0
    rows: dict[int, int] = {}
    taken = {(p.x, p.y) for k, p in keep.items() if k in column}
    placed: dict[str, Position] = {}
    for key in [a.key for a in agents] + [t.key for t in tasks]:
        if key in keep:
            placed[key] = keep[key]
            continue
        row = rows.get(column[key], 0)
        spot = (column[key] * COLUMN_WIDTH, row * ROW_HEIGHT)
        while spot in taken:
            row += 1
            spot = (spot[0], row * ROW_HEIGHT)
        rows[column[key]] = row + 1
        taken.add(spot)
        placed[key] = Position(x=spot[0], y=spot[1])
    return placed


def changes(before: CrewBody | None, after: CrewBody) -> list[str]:
    """What a generation did, one line per agent or task added, removed or changed."""
    if before is None:
        return [f"Added agent {a.key!r} ({a.role})" for a in after.agents] + [
            f"Added task {t.key!r}" for t in after.tasks
        ]
    found = _diff("agent", before.agents, after.agents, ("role", "goal", "backstory", "tools"))
    found += _diff(
        "task", before.tasks, after.tasks, ("description", "expected_output", "agent", "context")
    )
    return found


def _diff(
    kind: str,
    before: Iterable[CrewAgent | CrewTask],
    after: Iterable[CrewAgent | CrewTask],
    fields: tuple[str, ...],
) -> list[str]:
    old = {item.key: item for item in before}
    new = {item.key: item for item in after}
    lines = [f"Added {kind} {key!r}" for key in new if key not in old]
    lines += [f"Removed {kind} {key!r}" for key in old if key not in new]
    for key in (k for k in new if k in old):
        changed = [f for f in fields if getattr(new[key], f) != getattr(old[key], f)]
        if changed:
            lines.append(f"Changed {kind} {key!r}: {', '.join(changed).replace('_', ' ')}")
    return lines


def schema_errors(exc: ValidationError) -> list[str]:
    """A pydantic error as lines a model can act on: where, then what."""
    return [
        f"/{'/'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    ]
