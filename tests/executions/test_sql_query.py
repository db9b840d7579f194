"""An agent queries a group's database through `sql_query` in a real run on the live server."""

from __future__ import annotations

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
from tests.support.server import LiveServer


async def test_the_rows_reach_the_model(
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    llm_server: ScriptedLLMServer,
    sqlite_shop: str,
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        added = await http.post(
            "/api/v1/connections",
            json={"name": "shop", "url": sqlite_shop, "description": "Orders"},
            headers=actor.headers,
        )
        assert added.status_code == 201, added.text
        tools = [{"tool_id": "sql_query", "config": {"connection": "shop", "max_rows": 2}}]
        crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
        llm_server.script(
            tool_call("sql_query", {"sql": "SELECT name FROM customers ORDER BY name"}),
            text("Thought: done\nFinal Answer: Ada and Grace."),
            text("Thought: ok\nFinal Answer: Brief."),
        )
        done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
        events = await all_events(http, actor, done["id"])
    assert done["status"] == "succeeded", done
    assert "Read-only SQL on the SQLite database 'shop' (Orders)" in str(
        llm_server.chat_requests[0].body["tools"]
    )
    assert "name\n----\nAda\nGrace\n(2 rows)" in llm_server.chat_requests[1].prompt
    [completed] = [e for e in events if e["type"] == "tool.completed"]
    assert "Grace" in str(completed["data"])
    assert sqlite_shop.removeprefix("sqlite:///") not in str(events)
