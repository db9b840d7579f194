"""Helpers for generation tests: read the Server-Sent Events of a generate call."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.factories import Actor


def events_of(response: httpx.Response) -> list[dict[str, Any]]:
    """Each event's data, checking that its `event:` line names its type."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        data = json.loads(lines["data"])
        assert lines["event"] == data["type"]
        found.append(data)
    return found


async def generate(
    http: httpx.AsyncClient, actor: Actor, prompt: str, **body: Any
) -> httpx.Response:
    return await http.post(
        "/api/v1/generate/crew", json={"prompt": prompt, **body}, headers=actor.headers
    )


def design(**overrides: Any) -> dict[str, Any]:
    """A valid design answer: a researcher and a writer, two tasks, a {company} input."""
    answer: dict[str, Any] = {
        "name": "Pricing brief",
        "description": "Researches competitors' pricing and writes a brief.",
        "agents": [
            {
                "key": "researcher",
                "role": "Pricing researcher",
                "goal": "Find the prices {company}'s competitors charge",
                "backstory": "A market analyst.",
                "tools": ["calculator"],
            },
            {
                "key": "writer",
                "role": "Brief writer",
                "goal": "Write a one-page brief",
                "backstory": "Writes for executives.",
            },
        ],
        "tasks": [
            {
                "key": "research",
                "name": "Research prices",
                "description": "List the competitors of {company} and their prices.",
                "expected_output": "A table of competitors and prices",
                "agent": "researcher",
            },
            {
                "key": "brief",
                "name": "Write the brief",
                "description": "Write a brief on the pricing found.",
                "expected_output": "A one-page brief in Markdown",
                "agent": "writer",
                "context": ["research"],
            },
        ],
        "default_inputs": {"company": "Acme"},
        "summary": "A researcher finds prices; a writer writes the brief.",
    }
    answer.update(overrides)
    return answer
