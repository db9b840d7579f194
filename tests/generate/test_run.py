"""A crew designed offline runs: real server, real worker process, the demo model."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.executions.support import wait_for
from tests.factories import make_actor
from tests.generate.support import events_of, generate
from tests.support.server import LiveServer


async def test_a_crew_generated_offline_runs_to_success(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        done = events_of(await generate(http, actor, "research tide tables and write a summary"))
        crew = done[-1]["crew"]
        # No inputs given: the generated default for {topic} fills it.
        started = await http.post(
            "/api/v1/executions", json={"crew_id": crew["id"]}, headers=actor.headers
        )
        assert started.status_code == 202, started.text
        finished = await wait_for(http, actor, started.json()["id"])

    assert finished["status"] == "succeeded", finished["error"]
    assert finished["inputs"] == {"topic": "tide tables"}
    assert set(finished["task_outputs"]) == {"research", "write"}
    assert "Demo result" in finished["result"]
