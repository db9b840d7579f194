"""A crew whose agent calls an OpenAPI operation, end to end on a live server."""

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
from tests.support.pet_api import DOCUMENT, pet_api
from tests.support.server import LiveServer, live_settings

SECRET = "pets-SECRET-0123456789"


async def test_an_agent_calls_an_operation_and_reads_the_answer(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
) -> None:
    actor = await make_actor(app, client)
    settings = live_settings(db_url, tmp_path, tools_http_allow_private=True)
    with pet_api() as api, LiveServer(settings) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            model = await use_scripted_model(http, actor, llm_server)
            auth = {"type": "api_key", "location": "header", "name": "X-Api-Key", "secret": SECRET}
            body = {"name": "pets", "document": DOCUMENT, "base_url": f"{api.url}/v1", "auth": auth}
            registered = await http.post(
                "/api/v1/openapi-sources", json=body, headers=actor.headers
            )
            assert registered.status_code == 201, registered.text
            tools = [{"tool_id": "openapi:pets/getPet"}]
            crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
            llm_server.script(
                tool_call("pets_get_pet", {"petId": 42, "X_Trace_Id": "run-1"}),
                text("Thought: I know the pet\nFinal Answer: Pet 42 is Rex."),
                text("Thought: ok\nFinal Answer: Brief."),
            )
            done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
            events = await all_events(http, actor, done["id"])
    assert done["status"] == "succeeded", done
    [call] = api.calls
    assert (call.method, call.path) == ("GET", "/v1/pets/42")
    assert call.headers["x-api-key"] == SECRET
    assert call.headers["x-trace-id"] == "run-1"
    assert '"name": "Rex"' in llm_server.chat_requests[1].prompt  # the answer reached the model
    assert [e["type"] for e in events].count("tool.completed") == 1
    assert SECRET not in json.dumps(events)
