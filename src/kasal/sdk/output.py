"""What `Crew.kickoff()` returns, shaped like CrewAI's `CrewOutput`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kasal.client.errors import RunFailedError


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None  # USD, where the models have prices


@dataclass(frozen=True)
class TaskOutput:
    key: str
    name: str
    description: str
    agent: str  # the agent's role
    raw: str

    def __str__(self) -> str:
        return self.raw

    @property
    def json_dict(self) -> dict[str, Any] | None:
        return _json_object(self.raw)


@dataclass(frozen=True)
class CrewOutput:
    """`raw` is the final answer (the last task's output)."""

    status: str  # succeeded | failed | cancelled | interrupted
    raw: str = ""
    tasks_output: list[TaskOutput] = field(default_factory=list)
    token_usage: TokenUsage = field(default_factory=TokenUsage)
    error: str | None = None
    execution_id: str | None = None  # on a server: the execution, to look up later
    crew_id: str | None = None
    work_dir: str | None = None  # in-process: where the agents' files are (if they wrote any)

    def __str__(self) -> str:
        return self.raw

    @property
    def json_dict(self) -> dict[str, Any] | None:
        """The final answer parsed as a JSON object, when it is one."""
        return _json_object(self.raw)

    def checked(self) -> CrewOutput:
        """Self when the run succeeded; RunFailedError otherwise."""
        if self.status == "succeeded":
            return self
        where = f" (execution {self.execution_id})" if self.execution_id else ""
        reason = f": {self.error}" if self.error else ""
        raise RunFailedError(f"The run {self.status}{where}{reason}", self)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def task_outputs(document: dict[str, Any], outputs: dict[str, Any]) -> list[TaskOutput]:
    """Per task, in the crew's order, for the tasks that produced output."""
    roles = {a["key"]: a.get("role", "") for a in document.get("agents") or []}
    found = []
    for task in document.get("tasks") or []:
        if task["key"] not in outputs:
            continue
        value = outputs[task["key"]]
        raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        found.append(
            TaskOutput(
                key=task["key"],
                name=task.get("name") or task["key"],
                description=task.get("description", ""),
                agent=roles.get(task.get("agent") or "", ""),
                raw=raw,
            )
        )
    return found
