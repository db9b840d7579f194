"""Helpers for chat tests: chats, turns, and waiting for an answer to be written."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.factories import Actor


async def make_agent(http: httpx.AsyncClient, actor: Actor, model: str) -> str:
    body = {"role": "Tide expert", "goal": "Answer questions about tides", "llm": model}
    response = await http.post("/api/v1/agents", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def make_chat(http: httpx.AsyncClient, actor: Actor, **target: str) -> dict[str, Any]:
    response = await http.post("/api/v1/chats", json=target, headers=actor.headers)
    assert response.status_code == 201, response.text
    chat: dict[str, Any] = response.json()
    return chat


async def say(http: httpx.AsyncClient, actor: Actor, chat_id: str, content: str) -> dict[str, Any]:
    """Post a message and wait until its answer is no longer pending; the messages then."""
    response = await http.post(
        f"/api/v1/chats/{chat_id}/messages", json={"content": content}, headers=actor.headers
    )
    assert response.status_code == 202, response.text
    turn: dict[str, Any] = response.json()
    async with asyncio.timeout(60):
        while True:
            answer = next(
                m
                for m in await messages(http, actor, chat_id)
                if m["id"] == turn["assistant"]["id"]
            )
            if answer["status"] != "pending":
                return answer
            await asyncio.sleep(0.1)


async def messages(http: httpx.AsyncClient, actor: Actor, chat_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/v1/chats/{chat_id}/messages", headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
