"""Pauses of a sequential crew for a person (`human_input`), and taking the crew up again.

CrewAI's own `human_input` calls `input()` in the worker, which would block a run forever in
a background process; Kasal never hands it to crewai. A crew with asking tasks runs in
segments instead: each segment is the tasks from where the crew stands up to and including
the next asking task (or to the end). A segment ending on an asking task returns `waiting`
with a checkpoint holding every finished task's output; resuming runs the next segment, with
the finished tasks' outputs restored so that later tasks get them as context exactly as one
sequential crewai run would give them. Nothing already done runs again.

The checkpoint is plain JSON, stored by the server while the run waits:
`{"kind": "crew", "paused_at": <task key>, "tasks": {<key>: {"raw", "json"}}, "usage": {...}}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kasal.engine.spec import ApprovalAsk, ApprovalSettings, CrewSpec, RunRequest, TaskSpec, Usage

CHECKPOINT_KIND = "crew"


@dataclass(frozen=True)
class FinishedTask:
    raw: str
    json: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """What Kasal shows of it: a JSON task's object, else the raw text."""
        return json.dumps(self.json, ensure_ascii=False) if self.json else self.raw


@dataclass(frozen=True)
class Segment:
    """The tasks one run of the engine executes: `tasks[start:stop + 1]`."""

    start: int
    stop: int
    done: dict[str, FinishedTask] = field(default_factory=dict)  # from earlier segments
    feedback: str | None = None  # a person's reply to the asking task at `start`
    usage: Usage = field(default_factory=Usage)  # spent by earlier segments

    @property
    def empty(self) -> bool:
        return self.start > self.stop

    def keys(self, spec: CrewSpec) -> list[str]:
        return [task.key for task in spec.tasks[self.start : self.stop + 1]]


class BadCheckpoint(ValueError):
    """A checkpoint this crew cannot go on from (another crew's, or damaged)."""


def segment_of(request: RunRequest) -> Segment:
    """Where this run of the crew starts and stops, and what it starts from."""
    tasks = request.crew.tasks
    resume = request.resume
    if resume is None:
        return Segment(0, _next_stop(tasks, 0))
    checkpoint = resume.checkpoint
    keys = [task.key for task in tasks]
    paused_at = checkpoint.get("paused_at")
    stored = checkpoint.get("tasks")
    if checkpoint.get("kind") != CHECKPOINT_KIND or paused_at not in keys:
        raise BadCheckpoint("The checkpoint does not belong to this crew.")
    if not isinstance(stored, dict) or not all(isinstance(v, dict) for v in stored.values()):
        raise BadCheckpoint("The checkpoint holds no task outputs.")
    done = {
        key: FinishedTask(str(value.get("raw", "")), value.get("json") or None)
        for key, value in stored.items()
        if key in keys
    }
    usage = Usage.model_validate(checkpoint.get("usage") or {})
    index = keys.index(paused_at)
    if resume.decision == "reply":
        previous = done.pop(paused_at, FinishedTask(""))
        return Segment(index, index, done, _feedback(previous.text, resume.reply or ""), usage)
    return Segment(index + 1, _next_stop(tasks, index + 1), done, usage=usage)


def _next_stop(tasks: list[TaskSpec], start: int) -> int:
    """The next asking task from `start` on, else the last task."""
    for index in range(start, len(tasks)):
        if tasks[index].human_input:
            return index
    return len(tasks) - 1


def _feedback(previous: str, reply: str) -> str:
    """What the asking task sees again on a reply, after its usual context: what it answered
    and what the person said of it (crewai's own human-feedback wording)."""
    return (
        f"Your previous answer to this task:\n{previous}\n\n"
        "You got human feedback on your work, re-evaluate it and give a new Final Answer "
        f"when ready.\nHuman feedback: {reply}"
    )


def checkpoint(paused_at: str, finished: dict[str, FinishedTask], usage: Usage) -> dict[str, Any]:
    return {
        "kind": CHECKPOINT_KIND,
        "paused_at": paused_at,
        "tasks": {key: {"raw": t.raw, "json": t.json} for key, t in finished.items()},
        "usage": usage.model_dump(),
    }


def ask(task: TaskSpec, output: str) -> ApprovalAsk:
    """What the pause after `task` asks: its approval settings, the defaults where unset."""
    settings = task.approval.model_dump() if task.approval is not None else {}
    question = settings.get("question") or f"Review the output of {task.name or task.key}"
    return ApprovalAsk(
        settings=ApprovalSettings.model_validate({**settings, "question": question}),
        output=output,
        task_key=task.key,
    )


def added(first: Usage, second: Usage) -> Usage:
    cost = (
        None
        if first.cost is None and second.cost is None
        else (first.cost or 0.0) + (second.cost or 0.0)
    )
    return Usage(
        prompt_tokens=first.prompt_tokens + second.prompt_tokens,
        completion_tokens=first.completion_tokens + second.completion_tokens,
        total_tokens=first.total_tokens + second.total_tokens,
        cost=cost,
    )
