"""The rules of a flow document: every problem at once, each with a JSON pointer.

Like a crew's, problems never block a save (a flow is drafted over many saves); errors
block a run. The crews the steps name are facts from the group's catalog: which exist, and
their latest version."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping

from kasal.crews.schemas import Problem
from kasal.engine import flow_paths
from kasal.flows.schemas import FlowBody, FlowEdgeBody, FlowStepBody


def problems(body: FlowBody, crews: Mapping[uuid.UUID, int]) -> list[Problem]:
    """`crews`: the group's crews by id, with their latest version."""
    found: list[Problem] = []
    steps = _steps(body, found)
    _crew_steps(body, crews, found)
    _edges(body, steps, found)
    _routers_and_approvals(body, found)
    _cycles(body, steps, found)
    _templates(body, steps, found)
    return found


def _error(pointer: str, code: str, message: str) -> Problem:
    return Problem(pointer=pointer, code=code, message=message, severity="error")


def _steps(body: FlowBody, found: list[Problem]) -> dict[str, FlowStepBody]:
    if not body.steps:
        found.append(_error("/steps", "no_steps", "A flow needs at least one step."))
    counts = Counter(step.key for step in body.steps)
    for index, step in enumerate(body.steps):
        if counts[step.key] > 1:
            found.append(
                _error(
                    f"/steps/{index}/key",
                    "duplicate_key",
                    f"The key {step.key!r} is used by more than one step.",
                )
            )
    names = Counter(i.name for i in body.inputs)
    for index, flow_input in enumerate(body.inputs):
        if names[flow_input.name] > 1:
            found.append(
                _error(
                    f"/inputs/{index}/name",
                    "duplicate_input",
                    f"The input {flow_input.name!r} is declared more than once.",
                )
            )
    return {step.key: step for step in body.steps}


def _crew_steps(body: FlowBody, crews: Mapping[uuid.UUID, int], found: list[Problem]) -> None:
    for index, step in enumerate(body.steps):
        at = f"/steps/{index}"
        if step.kind != "crew":
            if step.crew_id is not None:
                found.append(
                    _error(f"{at}/crew_id", "crew_outside_crew_step", "Only crew steps run a crew.")
                )
            continue
        if step.crew_id is None:
            found.append(_error(f"{at}/crew_id", "missing_crew", "Choose the crew this step runs."))
        elif step.crew_id not in crews:
            found.append(
                _error(f"{at}/crew_id", "unknown_crew", "There is no such crew in this group.")
            )
        elif step.crew_version is not None and step.crew_version > crews[step.crew_id]:
            found.append(
                _error(
                    f"{at}/crew_version",
                    "unknown_crew_version",
                    f"The crew has no version {step.crew_version} "
                    f"(its latest is {crews[step.crew_id]}).",
                )
            )


def _edges(body: FlowBody, steps: Mapping[str, FlowStepBody], found: list[Problem]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, edge in enumerate(body.edges):
        at = f"/edges/{index}"
        for end in ("source", "target"):
            key = getattr(edge, end)
            if key not in steps:
                found.append(_error(f"{at}/{end}", "unknown_step", f"There is no step {key!r}."))
        if edge.source == edge.target:
            found.append(_error(at, "self_edge", "A step cannot lead to itself."))
        if (edge.source, edge.target) in seen:
            found.append(_error(at, "duplicate_edge", "These steps are already connected."))
        seen.add((edge.source, edge.target))
        kind = steps[edge.source].kind if edge.source in steps else None
        if (edge.when is not None or edge.default) and kind not in (None, "router"):
            found.append(
                _error(
                    f"{at}/when" if edge.when is not None else f"{at}/default",
                    "condition_outside_router",
                    "Only the edges out of a router have conditions.",
                )
            )
        if edge.on is not None and kind not in (None, "approval"):
            found.append(
                _error(
                    f"{at}/on", "decision_outside_approval", "Only approval edges name a decision."
                )
            )


def _routers_and_approvals(body: FlowBody, found: list[Problem]) -> None:
    out: defaultdict[str, list[int]] = defaultdict(list)
    for index, edge in enumerate(body.edges):
        out[edge.source].append(index)
    for index, step in enumerate(body.steps):
        edges = [(i, body.edges[i]) for i in out[step.key]]
        if step.kind == "router":
            _router(index, step, edges, found)
        elif step.kind == "approval":
            _approval(index, edges, found)


def _router(
    index: int, step: FlowStepBody, edges: list[tuple[int, FlowEdgeBody]], found: list[Problem]
) -> None:
    at = f"/steps/{index}"
    conditioned = [i for i, e in edges if e.when is not None]
    defaults = [i for i, e in edges if e.default]
    if not conditioned:
        found.append(
            _error(
                at,
                "router_without_conditions",
                f"The router {step.name or step.key!r} has no edge with a condition.",
            )
        )
    if not defaults:
        found.append(
            _error(
                at,
                "router_without_default",
                f"The router {step.name or step.key!r} needs a default edge, "
                "taken when no condition holds.",
            )
        )
    for extra in defaults[1:]:
        found.append(_error(f"/edges/{extra}/default", "duplicate_default", "A second default."))
    for i, edge in edges:
        if edge.when is None and not edge.default:
            found.append(
                _error(
                    f"/edges/{i}/when",
                    "missing_condition",
                    "An edge out of a router needs a condition or `default`.",
                )
            )
        elif edge.when is not None and edge.default:
            found.append(
                _error(f"/edges/{i}/default", "default_with_condition", "A default has no `when`.")
            )


def _approval(index: int, edges: list[tuple[int, FlowEdgeBody]], found: list[Problem]) -> None:
    if len(edges) < 2:
        return
    for i, edge in edges:
        if edge.on is None:
            found.append(
                _error(
                    f"/edges/{i}/on",
                    "missing_decision",
                    "An approval with several edges says which decision takes each "
                    "(`on`: approve or reject).",
                )
            )
    rejects = [i for i, e in edges if e.on == "reject"]
    for extra in rejects[1:]:
        found.append(_error(f"/edges/{extra}/on", "duplicate_reject", "A second reject edge."))


def _cycles(body: FlowBody, steps: Mapping[str, FlowStepBody], found: list[Problem]) -> None:
    """Kahn's algorithm: what is left once every step without pending sources is removed
    lies on a cycle; the first edge between two such steps is reported."""
    incoming = dict.fromkeys(steps, 0)
    targets: defaultdict[str, list[str]] = defaultdict(list)
    for edge in body.edges:
        if edge.source in steps and edge.target in steps and edge.source != edge.target:
            incoming[edge.target] += 1
            targets[edge.source].append(edge.target)
    ready = [key for key, count in incoming.items() if count == 0]
    while ready:
        for target in targets[ready.pop()]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    looped = {key for key, count in incoming.items() if count > 0}
    for index, edge in enumerate(body.edges):
        if edge.source in looped and edge.target in looped:
            found.append(
                _error(
                    f"/edges/{index}",
                    "cycle",
                    "This edge closes a cycle: a flow runs each step at most once.",
                )
            )
            return


def upstream(body: FlowBody) -> dict[str, set[str]]:
    """Each step's ancestors: the steps that have run (or been skipped) before it starts."""
    sources: defaultdict[str, set[str]] = defaultdict(set)
    for edge in body.edges:
        sources[edge.target].add(edge.source)
    found: dict[str, set[str]] = {}

    def visit(key: str, path: frozenset[str]) -> set[str]:
        if key in found:
            return found[key]
        ancestors: set[str] = set()
        for source in sources[key] - path:  # a cycle is reported elsewhere
            ancestors |= {source, *visit(source, path | {key})}
        found[key] = ancestors
        return ancestors

    for step in body.steps:
        visit(step.key, frozenset())
    return found


def _templates(body: FlowBody, steps: Mapping[str, FlowStepBody], found: list[Problem]) -> None:
    inputs = {i.name for i in body.inputs}
    before = upstream(body)
    for index, step in enumerate(body.steps):
        at = f"/steps/{index}"
        texts = [(f"{at}/inputs/{name}", text) for name, text in step.inputs.items()]
        texts.append((f"{at}/review", step.review))
        for pointer, text in texts:
            for path in flow_paths.template_paths(text):
                _path(pointer, path, step.key, inputs, steps, before, found)
    for index, edge in enumerate(body.edges):
        if edge.when is not None:
            _path(
                f"/edges/{index}/when/path",
                edge.when.path,
                edge.target,
                inputs,
                steps,
                {**before, edge.target: before.get(edge.source, set()) | {edge.source}},
                found,
            )


def _path(
    pointer: str,
    path: str,
    where: str,
    inputs: set[str],
    steps: Mapping[str, FlowStepBody],
    before: Mapping[str, set[str]],
    found: list[Problem],
) -> None:
    parsed = flow_paths.parse(path)
    if isinstance(parsed, str):
        found.append(_error(pointer, "invalid_path", parsed))
    elif parsed.root == "inputs" and parsed.name not in inputs:
        found.append(
            _error(pointer, "unknown_input", f"The flow declares no input {parsed.name!r}.")
        )
    elif parsed.root == "steps" and parsed.name not in steps:
        found.append(_error(pointer, "unknown_step", f"There is no step {parsed.name!r}."))
    elif parsed.root == "steps" and parsed.name not in before.get(where, set()):
        found.append(
            _error(
                pointer,
                "step_not_upstream",
                f"The step {parsed.name!r} does not run before this point of the flow.",
            )
        )
    elif parsed.rest == ("decision",) and steps[parsed.name].kind != "approval":
        found.append(_error(pointer, "invalid_path", "Only approval steps have a decision."))


def has_errors(found: list[Problem]) -> bool:
    return any(p.severity == "error" for p in found)
