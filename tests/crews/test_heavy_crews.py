"""A crew at the size limits is checked quickly and off the event loop.

200 tasks, each taking every earlier task as context (19,900 context entries): saving,
reading and validating it must not freeze the server for its other requests.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
from fastapi import FastAPI

from tests.client.support import scripting_account
from tests.support.server import LiveServer

TASKS = 200


def heavy_crew() -> dict[str, Any]:
    return {
        "name": "Heavy",
        "agents": [{"key": "a", "role": "Researcher of {topic}", "goal": "G", "llm": "demo"}],
        "tasks": [
            {
                "key": f"t{i}",
                "name": f"Task {i}",
                "description": f"Step {i} on {{topic}}",
                "expected_output": "Notes",
                "agent": "a",
                "context": [f"t{j}" for j in range(i)],
            }
            for i in range(TASKS)
        ],
    }


async def _heavy_work(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    created = await http.post("/api/v1/crews", json=heavy_crew(), headers=headers)
    assert created.status_code == 201, created.text
    crew = created.json()
    assert crew["problems"] == []
    crew_id = crew["id"]
    for _ in range(3):
        checked = await http.post(f"/api/v1/crews/{crew_id}/validate", headers=headers)
        assert checked.status_code == 200, checked.text
        assert checked.json() == {"problems": [], "inputs": ["topic"]}


async def _warm_up(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """The same routes once with a small crew: FastAPI prepares a route on its first
    request, a one-time cost that is not what this test measures."""
    small = await http.post("/api/v1/crews", json={"name": "Small"}, headers=headers)
    assert small.status_code == 201, small.text
    await http.post(f"/api/v1/crews/{small.json()['id']}/validate", headers=headers)


async def test_health_answers_quickly_while_a_heavy_crew_is_saved_and_validated(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    account = await scripting_account(app, client, live)
    headers = {"Authorization": f"Bearer {account.token}"}
    latencies: list[float] = []
    async with (
        httpx.AsyncClient(base_url=live.url, timeout=120) as http,
        httpx.AsyncClient(base_url=live.url) as probe,
    ):
        await probe.get("/health")  # the connection is open before measuring
        await _warm_up(http, headers)
        work = asyncio.create_task(_heavy_work(http, headers))
        while not work.done() or len(latencies) < 40:
            started = time.perf_counter()
            assert (await probe.get("/health")).status_code == 200
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        await work

    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 < 0.1, f"/health p95 {p95 * 1000:.0f} ms over {len(latencies)} requests"
