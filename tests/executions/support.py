"""Helpers for execution tests: a scripted model, crews, and waiting for runs to settle."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.factories import Actor
from tests.support.llm_server import ScriptedLLMServer

FINISHED = {"succeeded", "failed", "cancelled", "interrupted"}


async def use_scripted_model(
    http: httpx.AsyncClient, actor: Actor, llm: ScriptedLLMServer, *, with_key: bool = True
) -> str:
    """A group model named "scripted" that talks to the scripted LLM server."""
    body = {
        "key": "scripted",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "base_url": llm.base_url,
    }
    response = await http.post("/api/v1/models", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    if with_key:
        key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
        response = await http.post("/api/v1/api-keys", json=key, headers=actor.headers)
        assert response.status_code == 201, response.text
    return "scripted"


def two_step_crew(model: str, *, tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "name": "Research brief",
        "process": "sequential",
        "agents": [
            {
                "key": "researcher",
                "role": "Researcher",
                "goal": "Find facts about {topic}",
                "backstory": "Thorough.",
                "llm": model,
                "tools": tools or [],
            },
            {
                "key": "writer",
                "role": "Writer",
                "goal": "Write clearly",
                "backstory": "Concise.",
                "llm": model,
            },
        ],
        "tasks": [
            {
                "key": "research",
                "name": "Research",
                "description": "Research {topic}",
                "expected_output": "Three facts",
                "agent": "researcher",
            },
            {
                "key": "write",
                "name": "Write",
                "description": "Write a brief",
                "expected_output": "One paragraph",
                "agent": "writer",
                "context": ["research"],
            },
        ],
    }


async def create_crew(http: httpx.AsyncClient, actor: Actor, document: dict[str, Any]) -> str:
    response = await http.post("/api/v1/crews", json=document, headers=actor.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def start(
    http: httpx.AsyncClient, actor: Actor, crew_id: str, inputs: dict[str, str] | None = None
) -> dict[str, Any]:
    body = {"crew_id": crew_id, "inputs": inputs if inputs is not None else {"topic": "tides"}}
    response = await http.post("/api/v1/executions", json=body, headers=actor.headers)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


async def wait_for(
    http: httpx.AsyncClient,
    actor: Actor,
    execution_id: str,
    statuses: set[str] = FINISHED,
    within: float = 60,
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            response = await http.get(f"/api/v1/executions/{execution_id}", headers=actor.headers)
            body: dict[str, Any] = response.json()
            if body["status"] in statuses:
                return body
            await asyncio.sleep(0.1)


async def all_events(
    http: httpx.AsyncClient, actor: Actor, execution_id: str
) -> list[dict[str, Any]]:
    response = await http.get(
        f"/api/v1/executions/{execution_id}/events", params={"after": 0}, headers=actor.headers
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@asynccontextmanager
async def websocket(
    ws_url: str, actor: Actor, group: str | None = None
) -> AsyncIterator[ClientConnection]:
    token = actor.headers["Authorization"].removeprefix("Bearer ")
    query = f"?token={token}" + (f"&group={group}" if group else "")
    async with connect(f"{ws_url}/api/v1/ws{query}") as connection:
        yield connection


async def receive(connection: ClientConnection, within: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message: dict[str, Any] = json.loads(await connection.recv())
            if message["type"] != "ping":
                return message


async def next_event(connection: ClientConnection) -> dict[str, Any]:
    """The next event message, passing over the group feed's status messages."""
    while True:
        message = await receive(connection)
        if message["type"] == "event":
            event: dict[str, Any] = message["event"]
            return event


async def events_until_finished(connection: ClientConnection) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        message = await receive(connection)
        if message["type"] != "event":
            continue
        events.append(message["event"])
        if message["event"]["type"].removeprefix("execution.") in FINISHED:
            return events
