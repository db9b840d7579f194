"""Helpers for flow runs: one-task crews, and a scripted LLM answering by what a prompt asks
(crews in parallel branches call the model at the same time, so a fixed order would not do)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import Actor
from tests.support.llm_server import RecordedRequest


def one_task_crew(
    model: str, name: str, description: str, *, json_schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "key": "work",
        "name": name,
        "description": description,
        "expected_output": "An answer",
        "agent": "worker",
    }
    if json_schema is not None:
        task |= {"output_format": "json", "output_schema": json_schema}
    return {
        "name": name,
        "agents": [{"key": "worker", "role": f"{name} worker", "goal": "Answer", "llm": model}],
        "tasks": [task],
    }


def answer_by_prompt(answers: dict[str, str]) -> Callable[[RecordedRequest], str | None]:
    """The answer whose marker the request's prompt holds."""

    def respond(request: RecordedRequest) -> str | None:
        prompt = request.prompt
        return next((answer for marker, answer in answers.items() if marker in prompt), None)

    return respond


async def start_flow(
    http: httpx.AsyncClient, actor: Actor, flow: dict[str, Any], inputs: dict[str, str]
) -> dict[str, Any]:
    """A run of `flow`, saved first (it must have no problems), as `POST /executions` answers."""
    created = await http.post("/api/v1/flows", json=flow, headers=actor.headers)
    assert created.status_code == 201, created.text
    assert created.json()["problems"] == []
    body = {"flow_id": created.json()["id"], "inputs": inputs}
    started = await http.post("/api/v1/executions", json=body, headers=actor.headers)
    assert started.status_code == 202, started.text
    execution: dict[str, Any] = started.json()
    assert execution["flow_id"] == created.json()["id"]
    assert execution["crew_id"] is None
    assert execution["crew_name"] == flow["name"]
    return execution
