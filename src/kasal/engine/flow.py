"""Run one flow: `await run_flow(request, emit)` → RunResult.

Events: `flow.started`; for each step `step.started` then `step.completed` (data: `kind`,
`output` clipped, a router's `chosen` target, an approval's `decision`), `step.skipped` (a
branch not taken) or `step.failed`, each with `step_key`; a crew step's crew emits its own
`crew.started` ... `crew.completed` inside its step, every event carrying the step's key.
Then `flow.completed` or `flow.failed`. `result` is the last finished step's output,
`task_outputs` each crew step's output by step key.

Scheduling: a step runs once every incoming edge is decided and at least one is alive
(a branch not taken is dead and does not block a join); a step whose incoming edges are all
dead is skipped, and so are the edges out of it. Steps that are ready together run
concurrently (asyncio tasks), so parallel branches overlap. A router takes its first edge
whose condition holds, else its default edge, else fails the run.

Pauses: an approval step, or a crew step whose crew pauses (a task with `human_input`),
makes its branch wait; branches that do not depend on it go on as far as they can, then the
flow returns `waiting` with the first pause's `ask` and a checkpoint holding every finished
step's values, the decided edges and each pause (a crew's nests the crew's own checkpoint).
`resume` answers the first pause: an approval takes its `on: approve` (or unconditioned)
edges on approve or reply (the reply is its output), its `on: reject` edge on reject, or
fails the run with `Rejected...`; a paused crew is run again with the answer and its
checkpoint, so it goes back where it stopped (a rejected task fails the run with the
crew's own `Rejected...` error). Finished steps are never run again.

Why not crewai's Flow runtime (`Flow.from_declaration`): its crew actions build crews from
CrewAI definitions with process-wide configuration, where a Kasal crew step must run through
`run_crew` (per-run credentials, tools, MCP servers, event capture, memory and output files);
its persistence is a local SQLite store and `human_feedback` asks through a console or
provider inside the worker, where a Kasal pause must survive the process in the database and
hold no worker. The graph semantics (and/or joins, routers) are small enough to run here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kasal.engine import flow_paths
from kasal.engine.capture import Emit
from kasal.engine.run import run_crew
from kasal.engine.spec import (
    ApprovalAsk,
    ApprovalSettings,
    Condition,
    EngineEvent,
    FlowEdge,
    FlowRunRequest,
    FlowStep,
    Resume,
    RunRequest,
    RunResult,
    Usage,
)
from kasal.events import EventType

OUTPUT_CLIP = 2_000  # characters of a step's output in its `step.completed` event
CHECKPOINT_KIND = "flow"
_PER_RUN = ("flow", "resume", "inputs", "work_dir")  # a flow's fields its crews do not share


async def run(request: RunRequest | FlowRunRequest, emit: Emit) -> RunResult:
    """The worker's runner: a crew or a flow, whichever the request is."""
    if isinstance(request, FlowRunRequest):
        return await run_flow(request, emit)
    return await run_crew(request, emit)


async def run_flow(request: FlowRunRequest, emit: Emit) -> RunResult:
    return await _FlowRun(request, emit).run()


class StepFailed(Exception):
    """A step ended the flow; the message says why, for the user."""


@dataclass(frozen=True)
class _Outcome:
    """What a step's task returns: done (with values), paused, or the edges it took."""

    values: dict[str, Any] | None = None  # output, json, tasks, decision
    pause: dict[str, Any] | None = None  # step, ask, crew_checkpoint
    chosen: str | None = None  # a router's target


class _FlowRun:
    def __init__(self, request: FlowRunRequest, emit: Emit) -> None:
        self.request = request
        self.emit = emit
        self.steps = {step.key: step for step in request.flow.steps}
        self.edges = request.flow.edges
        self.into: defaultdict[str, list[int]] = defaultdict(list)
        self.out: defaultdict[str, list[int]] = defaultdict(list)
        for index, edge in enumerate(self.edges):
            self.into[edge.target].append(index)
            self.out[edge.source].append(index)
        self.done: dict[str, dict[str, Any]] = {}
        self.skipped: set[str] = set()
        self.taken: dict[int, bool] = {}  # decided edges: alive or dead
        self.pauses: list[dict[str, Any]] = []
        self.usage = Usage()
        self.finished_order: list[str] = []
        self.started = time.monotonic()

    # ------------------------------------------------------------ the run

    async def run(self) -> RunResult:
        resumed: dict[str, Resume] = {}
        try:
            if self.request.resume is None:
                self._event(EventType.flow_started, None, flow=self.request.flow.name)
            else:
                resumed = self._restore(self.request.resume)
            await self._loop(resumed)
        except StepFailed as exc:
            return self._failed(str(exc))
        if self.pauses:
            ask = ApprovalAsk.model_validate(self.pauses[0]["ask"])
            return RunResult(
                status="waiting",
                ask=ask,
                checkpoint=self._checkpoint(),
                usage=self.usage,
                task_outputs=self._task_outputs(),
            )
        result = self.done[self.finished_order[-1]]["output"] if self.finished_order else ""
        self._event(
            EventType.flow_completed,
            None,
            result=result,
            usage=self.usage.model_dump(),
            duration_ms=self._elapsed_ms(),
        )
        return RunResult(
            status="succeeded",
            result=result,
            task_outputs=self._task_outputs(),
            usage=self.usage,
        )

    async def _loop(self, resumed: dict[str, Resume]) -> None:
        running: dict[asyncio.Task[_Outcome], str] = {}
        try:
            while True:
                for key in self._ready(set(running.values())):
                    task = asyncio.create_task(self._step(self.steps[key], resumed.pop(key, None)))
                    running[task] = key
                if not running:
                    return
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    self._settle(running.pop(task), task.result())
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _ready(self, running: set[str]) -> list[str]:
        """Steps whose every incoming edge is decided, in document order; those whose
        incoming edges all died are skipped on the way (which decides their own edges)."""
        ready: list[str] = []
        changed = True
        while changed:
            changed = False
            for key, step in self.steps.items():
                if key in self.done or key in self.skipped or key in running or key in ready:
                    continue
                if any(p["step"] == key for p in self.pauses):
                    continue
                incoming = self.into[key]
                if any(i not in self.taken for i in incoming):
                    continue
                if incoming and not any(self.taken[i] for i in incoming):
                    self.skipped.add(key)
                    for i in self.out[key]:
                        self.taken[i] = False
                    self._event(EventType.step_skipped, key, kind=step.kind)
                    changed = True
                else:
                    ready.append(key)
        return ready

    def _settle(self, key: str, outcome: _Outcome) -> None:
        if outcome.pause is not None:
            self.pauses.append(outcome.pause)
            return
        assert outcome.values is not None  # noqa: S101 (a step either pauses or finishes)
        self.done[key] = outcome.values
        self.finished_order.append(key)
        step = self.steps[key]
        decision = outcome.values.get("decision")
        for i in self.out[key]:
            edge = self.edges[i]
            if step.kind == "router":
                self.taken[i] = edge.target == outcome.chosen
            elif step.kind == "approval":
                wanted = "reject" if decision == "reject" else "approve"
                self.taken[i] = (edge.on or "approve") == wanted
            else:
                self.taken[i] = True
        data: dict[str, Any] = {"kind": step.kind, "output": _clip(outcome.values["output"])}
        if outcome.chosen is not None:
            data["chosen"] = outcome.chosen
        if decision is not None:
            data["decision"] = decision
        self._event(EventType.step_completed, key, **data)

    # ------------------------------------------------------------ steps

    async def _step(self, step: FlowStep, resume: Resume | None) -> _Outcome:
        if resume is None:
            self._event(EventType.step_started, step.key, kind=step.kind, name=step.name)
        if step.kind == "crew":
            return await self._crew(step, resume)
        if step.kind == "router":
            return self._route(step)
        review = flow_paths.render(step.review, self._lookup)
        settings = step.approval or ApprovalSettings(question=f"Approve {step.name or step.key}?")
        ask = ApprovalAsk(settings=settings, output=review, step_key=step.key)
        return _Outcome(pause={"step": step.key, "ask": ask.model_dump(mode="json")})

    async def _crew(self, step: FlowStep, resume: Resume | None) -> _Outcome:
        assert step.crew is not None  # noqa: S101 (the flows domain resolves every crew step)
        shared = {
            name: getattr(self.request, name)
            for name in type(self.request).model_fields
            if name not in _PER_RUN
        }
        inputs = {name: flow_paths.render(text, self._lookup) for name, text in step.inputs.items()}
        crew_request = RunRequest(
            **shared,
            crew=step.crew,
            inputs=inputs,
            work_dir=str(self._work_dir(step)),
            resume=resume,
        )

        def emit(event: EngineEvent) -> None:
            self.emit(event.model_copy(update={"step_key": step.key}))

        result = await run_crew(crew_request, emit)
        self._add_usage(result.usage)
        if result.status == "waiting" and result.ask is not None:
            ask = result.ask.model_copy(update={"step_key": step.key})
            pause = {
                "step": step.key,
                "ask": ask.model_dump(mode="json"),
                "crew_checkpoint": result.checkpoint,
            }
            return _Outcome(pause=pause)
        if result.status != "succeeded":
            error = result.error or f"the crew {result.status}"
            self._event(EventType.step_failed, step.key, kind=step.kind, error=error)
            if resume is not None and resume.decision == "reject":
                raise StepFailed(error)  # the crew's `Rejected...`: the run's error says so first
            raise StepFailed(f"Step {step.name or step.key!r} failed: {error}")
        output = result.result or ""
        values = {
            "output": output,
            "json": _json_of(output, result.task_outputs),
            "tasks": dict(result.task_outputs),
            "decision": None,
        }
        return _Outcome(values=values)

    def _route(self, step: FlowStep) -> _Outcome:
        edges = [self.edges[i] for i in self.out[step.key]]
        chosen = next((e for e in edges if e.when is not None and self._holds(e.when)), None)
        chosen = chosen or next((e for e in edges if e.default), None)
        if chosen is None:
            error = (
                f"The router {step.name or step.key!r} found no condition that holds "
                "and has no default edge."
            )
            self._event(EventType.step_failed, step.key, kind=step.kind, error=error)
            raise StepFailed(error)
        return _Outcome(values=_values(f"→ {chosen.target}"), chosen=chosen.target)

    # ------------------------------------------------------------ resuming

    def _restore(self, resume: Resume) -> dict[str, Resume]:
        """Take up the checkpoint; answer its first pause. A crew's answer goes back into
        that crew (returned, to run it with); an approval's is settled here."""
        checkpoint = resume.checkpoint
        self.done = dict(checkpoint.get("done", {}))
        self.skipped = set(checkpoint.get("skipped", []))
        self.taken = {int(i): alive for i, alive in checkpoint.get("taken", {}).items()}
        self.pauses = list(checkpoint.get("pauses", []))
        self.finished_order = list(checkpoint.get("order", []))
        if not self.pauses:
            return {}
        pause = self.pauses.pop(0)
        key = pause["step"]
        step = self.steps[key]
        if step.kind == "crew":
            return {
                key: resume.model_copy(update={"checkpoint": pause.get("crew_checkpoint") or {}})
            }
        review = str(pause["ask"].get("output", ""))
        if resume.decision == "reject":
            if not any(self.edges[i].on == "reject" for i in self.out[key]):
                error = "Rejected" + (f": {resume.comment}" if resume.comment else "")
                self._event(EventType.step_failed, key, kind=step.kind, error=error)
                raise StepFailed(error)
            self._settle(key, _Outcome(values=_values(review, "reject")))
        elif resume.decision == "reply":
            self._settle(key, _Outcome(values=_values(resume.reply or "", "reply")))
        else:
            self._settle(key, _Outcome(values=_values(review, "approve")))
        return {}

    def _checkpoint(self) -> dict[str, Any]:
        return {
            "kind": CHECKPOINT_KIND,
            "done": self.done,
            "order": self.finished_order,
            "skipped": sorted(self.skipped),
            "taken": {str(i): alive for i, alive in self.taken.items()},
            "pauses": self.pauses,
        }

    # ------------------------------------------------------------ values

    def _lookup(self, path: str) -> Any:
        parsed = flow_paths.parse(path)
        if isinstance(parsed, str):
            return None
        if parsed.root == "inputs":
            return self.request.inputs.get(parsed.name)
        values = self.done.get(parsed.name)
        if values is None:
            return None
        rest = parsed.rest
        if rest == ("output",):
            return values["output"]
        if rest == ("decision",):
            return values["decision"]
        if rest[0] == "json":
            return flow_paths.dig(values["json"], rest[1:])
        task_output = values["tasks"].get(rest[1])
        if task_output is None or rest[2:] == ("output",):
            return task_output
        return flow_paths.dig(_parsed(task_output), rest[3:])

    def _holds(self, condition: Condition) -> bool:
        return holds(condition, self._lookup(condition.path))

    def _work_dir(self, step: FlowStep) -> Path:
        """The run folder, or a sub-folder of its own for a crew that may run at the same
        time as another crew step (crews keep files of their own in their folder)."""
        root = Path(self.request.work_dir)
        if not self._may_overlap(step.key):
            return root
        folder = root / step.key
        folder.mkdir(exist_ok=True)
        return folder

    def _may_overlap(self, key: str) -> bool:
        related = self._ancestors(key) | self._descendants(key) | {key}
        return any(
            other.kind == "crew" and other.key not in related for other in self.steps.values()
        )

    def _ancestors(self, key: str) -> set[str]:
        return _reach(key, self.into, lambda e: e.source, self.edges)

    def _descendants(self, key: str) -> set[str]:
        return _reach(key, self.out, lambda e: e.target, self.edges)

    def _task_outputs(self) -> dict[str, str]:
        return {
            key: values["output"]
            for key, values in self.done.items()
            if self.steps[key].kind == "crew"
        }

    # ------------------------------------------------------------ events

    def _event(self, event_type: EventType, step_key: str | None, **data: Any) -> None:
        self.emit(EngineEvent(type=event_type, step_key=step_key, data=data))

    def _failed(self, error: str) -> RunResult:
        self._event(
            EventType.flow_failed,
            None,
            error=error,
            usage=self.usage.model_dump(),
            duration_ms=self._elapsed_ms(),
        )
        return RunResult(
            status="failed", error=error, usage=self.usage, task_outputs=self._task_outputs()
        )

    def _add_usage(self, usage: Usage) -> None:
        cost = None
        if usage.cost is not None or self.usage.cost is not None:
            cost = (usage.cost or 0.0) + (self.usage.cost or 0.0)
        self.usage = Usage(
            prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
            total_tokens=self.usage.total_tokens + usage.total_tokens,
            cost=cost,
        )

    def _elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)


def holds(condition: Condition, value: Any) -> bool:
    """Whether `value` (what the condition's path holds; None: nothing) satisfies it.
    Text from a crew compares with numbers and booleans as the number or boolean it says."""
    op, expected = condition.op, condition.value
    if op == "exists":
        return value is not None
    if op == "not_exists":
        return value is None
    if op == "ne":
        return not holds(condition.model_copy(update={"op": "eq"}), value)
    if value is None:
        return False
    if op == "contains":
        if isinstance(value, list):
            return expected in value or str(expected) in map(str, value)
        return str(expected) in (value if isinstance(value, str) else json.dumps(value))
    if op == "eq":
        return bool(_as_type_of(value, expected) == expected)
    left, right = _number(value), _number(expected)
    if left is None or right is None:
        return False
    compared: dict[str, bool] = {
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }
    return compared[op]


def _as_type_of(value: Any, expected: Any) -> Any:
    if isinstance(expected, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("true", "yes", "1")
        return bool(value)
    if isinstance(expected, int | float) and not isinstance(value, bool):
        number = _number(value)
        return number if number is not None else value
    if isinstance(expected, str) and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value).lower()
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _values(output: str, decision: str | None = None) -> dict[str, Any]:
    return {"output": output, "json": None, "tasks": {}, "decision": decision}


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def _json_of(output: str, task_outputs: dict[str, str]) -> Any:
    """A crew's JSON result: its final output parsed, else its last task's (a JSON task's
    output is its parsed object, re-serialised)."""
    parsed = _parsed(output)
    if parsed is None and task_outputs:
        parsed = _parsed(list(task_outputs.values())[-1])
    return parsed


def _clip(text: str) -> str:
    return text if len(text) <= OUTPUT_CLIP else text[:OUTPUT_CLIP] + "…"


def _reach(
    start: str,
    index: Mapping[str, list[int]],
    other_end: Callable[[FlowEdge], str],
    edges: list[FlowEdge],
) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for i in index.get(todo.pop(), []):
            key = str(other_end(edges[i]))
            if key not in seen:
                seen.add(key)
                todo.append(key)
    return seen
