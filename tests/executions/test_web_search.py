"""A crew that searches the web, end to end: the key stored under /api-keys reaches the
provider (a local Serper), the results reach the model, and the key reaches no event."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer, live_settings
from tests.support.web_servers import search_endpoints, search_providers

KEY = "serper-e2e-key-31415926"


async def test_a_crew_searches_with_the_groups_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    with search_providers(KEY) as providers:
        settings = live_settings(
            db_url,
            tmp_path,
            tools_http_allow_private=True,
            tools_search_endpoints=search_endpoints(providers),
        )
        with LiveServer(settings) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                model = await use_scripted_model(http, actor, llm_server)
                tools = [{"tool_id": "web_search", "config": {"max_results": 2}}]
                crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))

                refused = await http.post(
                    "/api/v1/executions",
                    json={"crew_id": crew_id, "inputs": {"topic": "tides"}},
                    headers=actor.headers,
                )
                assert refused.status_code == 422
                assert refused.json()["error"]["code"] == "crew_invalid"
                (problem,) = refused.json()["error"]["details"]
                assert problem["code"] == "missing_tool_key"
                assert "add one under Settings > API keys" in problem["message"]

                key = {"name": "Serper", "provider": "serper", "value": KEY}
                stored = await http.post("/api/v1/api-keys", json=key, headers=actor.headers)
                assert stored.status_code == 201, stored.text
                tool = (await http.get("/api/v1/tools/web_search", headers=actor.headers)).json()
                assert {"provider": "serper", "configured": True} in tool["credentials"]

                llm_server.script(
                    tool_call("web_search", {"query": "why are there tides"}),
                    text("The Moon's gravity causes tides."),
                    text("Tides come from the Moon."),
                )
                done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
                events = await all_events(http, actor, done["id"])
                keys = await http.get("/api/v1/api-keys", headers=actor.headers)

    assert done["status"] == "succeeded", done
    (search,) = [r for r in providers.requests if r.path == "/serper/search"]
    assert search.headers["x-api-key"] == KEY
    assert search.json() == {"q": "why are there tides", "num": 2}
    assert "Tides are caused by the Moon's gravity." in llm_server.chat_requests[1].prompt
    started = next(e for e in events if e["type"] == "tool.started")
    completed = next(e for e in events if e["type"] == "tool.completed")
    assert started["data"]["tool_id"] == "web_search"
    assert started["data"]["args"] == {"query": "why are there tides"}
    assert completed["data"]["output"].startswith("1. Tides explained")
    assert isinstance(completed["data"]["duration_ms"], int)
    assert KEY not in json.dumps(events)
    assert KEY not in keys.text
