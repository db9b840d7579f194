"""Runs end to end: real server, real worker process, real WebSocket, scripted LLM over HTTP."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from tests.executions.support import (
    all_events,
    create_crew,
    events_until_finished,
    next_event,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
    websocket,
)
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer


async def test_a_run_with_a_tool_streams_every_step_in_order(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        tools = [{"tool_id": "current_datetime", "config": {}}]
        crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
        llm_server.script(
            tool_call("current_datetime", {}),
            text("Tides follow the moon."),  # after a tool result: used verbatim
            text("Thought: done\nFinal Answer: A brief about tides."),
        )
        async with websocket(live.ws_url, actor) as ws:
            execution = await start(http, actor, crew_id)
            await ws.send(json.dumps({"type": "subscribe", "execution_id": execution["id"]}))
            events = await events_until_finished(ws)
        done = await wait_for(http, actor, execution["id"])

    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types[:2] == ["execution.queued", "execution.started"]
    assert types[-1] == "execution.succeeded"
    for expected in (
        "crew.started",
        "task.started",
        "agent.started",
        "llm.started",
        "llm.completed",
        "tool.started",
        "tool.completed",
        "task.completed",
        "crew.completed",
    ):
        assert expected in types, expected
    assert types.index("tool.completed") < types.index("task.completed")
    task_keys = [e["task_key"] for e in events if e["type"] == "task.started"]
    assert task_keys == ["research", "write"]
    tool = next(e for e in events if e["type"] == "tool.completed")
    assert tool["agent_key"] == "researcher"
    assert tool["data"]["tool"] == "current_datetime"

    assert done["status"] == "succeeded"
    assert done["result"] == "A brief about tides."
    assert done["task_outputs"] == {
        "research": "Tides follow the moon.",
        "write": "A brief about tides.",
    }
    assert done["usage"]["total_tokens"] > 0
    assert done["started_at"]
    assert done["finished_at"]
    auth_headers = {r.headers.get("authorization") for r in llm_server.chat_requests}
    assert auth_headers == {"Bearer sk-test-key"}
    assert "Research tides" in llm_server.chat_requests[0].prompt  # the input reached the LLM


async def test_reconnecting_with_after_gives_no_gap_and_no_duplicate(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        crew_id = await create_crew(http, actor, two_step_crew("demo"))
        execution = await start(http, actor, crew_id)
        async with websocket(live.ws_url, actor) as ws:
            await ws.send(json.dumps({"type": "subscribe", "execution_id": execution["id"]}))
            first = [await next_event(ws) for _ in range(3)]
        seen = first[-1]["seq"]
        await wait_for(http, actor, execution["id"])
        async with websocket(live.ws_url, actor) as ws:
            subscribe = {"type": "subscribe", "execution_id": execution["id"], "after": seen}
            await ws.send(json.dumps(subscribe))
            rest = await events_until_finished(ws)
        stored = await all_events(http, actor, execution["id"])

    seqs = [e["seq"] for e in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e["seq"] for e in stored] == seqs


async def test_long_poll_waits_for_news_and_reports_status(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=40) as http:
        crew_id = await create_crew(http, actor, two_step_crew("demo"))
        execution = await start(http, actor, crew_id)
        url = f"/api/v1/executions/{execution['id']}/events"
        after, collected, status = 0, [], "queued"
        while status not in ("succeeded", "failed"):
            page = (
                await http.get(url, params={"after": after, "wait": 25}, headers=actor.headers)
            ).json()
            collected += page["items"]
            after, status = page["last_seq"], page["status"]
        tail = (await http.get(url, params={"after": after}, headers=actor.headers)).json()
        collected += tail["items"]
    assert status == "succeeded"
    assert [e["seq"] for e in collected] == list(range(1, len(collected) + 1))
    assert collected[-1]["type"] == "execution.succeeded"


async def test_server_sent_events_resume_from_last_event_id(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        crew_id = await create_crew(http, actor, two_step_crew("demo"))
        execution = await start(http, actor, crew_id)
        await wait_for(http, actor, execution["id"])
        headers = {**actor.headers, "Accept": "text/event-stream", "Last-Event-ID": "2"}
        url = f"/api/v1/executions/{execution['id']}/events"
        frames = []
        async with http.stream("GET", url, headers=headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("id: "):
                    frames.append(int(line.removeprefix("id: ")))
        stored = await all_events(http, actor, execution["id"])
    assert frames == [e["seq"] for e in stored if e["seq"] > 2]


async def test_trace_nests_spans_with_durations_and_tokens(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        crew_id = await create_crew(http, actor, two_step_crew("demo"))
        execution = await start(http, actor, crew_id)
        await wait_for(http, actor, execution["id"])
        trace = (
            await http.get(f"/api/v1/executions/{execution['id']}/trace", headers=actor.headers)
        ).json()
    spans = {s["id"]: s for s in trace["spans"]}
    kinds = [s["kind"] for s in trace["spans"]]
    assert kinds.count("crew") == 1
    assert kinds.count("task") == 2
    for span in trace["spans"]:
        assert span["status"] == "completed", span
        assert span["duration_ms"] is not None
        if span["kind"] != "crew":
            assert span["parent_id"] in spans
    llm = [s for s in trace["spans"] if s["kind"] == "llm"]
    assert llm
    assert all(spans[s["parent_id"]]["kind"] == "agent" for s in llm)
    assert all(s["tokens"] for s in llm)


async def test_provider_down_fails_the_run_with_the_cause(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        body = {
            "key": "down",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "base_url": "http://127.0.0.1:9/v1",
        }
        assert (await http.post("/api/v1/models", json=body, headers=actor.headers)).is_success
        key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
        assert (await http.post("/api/v1/api-keys", json=key, headers=actor.headers)).is_success
        crew_id = await create_crew(http, actor, two_step_crew("down"))
        execution = await start(http, actor, crew_id)
        done = await wait_for(http, actor, execution["id"])
        events = await all_events(http, actor, execution["id"])
        healthy = await create_crew(http, actor, {**two_step_crew("demo"), "name": "Still fine"})
        other = await wait_for(http, actor, (await start(http, actor, healthy))["id"])
    assert done["status"] == "failed"
    assert "connect" in done["error"].lower()
    assert events[-1]["type"] == "execution.failed"
    assert events[-1]["data"]["error"] == done["error"]
    assert other["status"] == "succeeded"  # the API and the other runs keep going


async def test_a_rejected_key_fails_the_run_saying_so(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    from tests.support.llm_server import error

    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        llm_server.script(error(401, "Incorrect API key provided"))
        done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
    assert done["status"] == "failed"
    assert "key" in done["error"].lower()


async def test_missing_key_and_inputs_are_refused_before_queueing(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server, with_key=False)
        crew_id = await create_crew(http, actor, two_step_crew(model))
        no_key = await http.post(
            "/api/v1/executions",
            json={"crew_id": crew_id, "inputs": {"topic": "x"}},
            headers=actor.headers,
        )
        demo_crew = await create_crew(http, actor, {**two_step_crew("demo"), "name": "Demo"})
        no_input = await http.post(
            "/api/v1/executions", json={"crew_id": demo_crew, "inputs": {}}, headers=actor.headers
        )
        listed = (await http.get("/api/v1/executions", headers=actor.headers)).json()
    assert no_key.status_code == 422
    problems = no_key.json()["error"]["details"]
    assert {p["code"] for p in problems} == {"missing_api_key"}
    assert all("openai" in p["message"] for p in problems)
    assert no_input.status_code == 422
    assert no_input.json()["error"]["code"] == "missing_inputs"
    assert listed["items"] == []


async def test_a_crew_s_default_inputs_fill_what_a_run_is_not_given(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Without workers (the in-process app runs none) the run stays queued with its inputs."""
    actor = await make_actor(app, client)
    document = {**two_step_crew("demo"), "default_inputs": {"topic": "tides"}}
    crew_id = await create_crew(client, actor, document)

    async def run_with(inputs: dict[str, str]) -> dict[str, str]:
        body = {"crew_id": crew_id, "inputs": inputs}
        response = await client.post("/api/v1/executions", json=body, headers=actor.headers)
        assert response.status_code == 202, response.text
        started: dict[str, str] = response.json()["inputs"]
        return started

    assert await run_with({}) == {"topic": "tides"}
    assert await run_with({"topic": "  "}) == {"topic": "tides"}
    assert await run_with({"topic": "moons"}) == {"topic": "moons"}
    crew = await client.get(f"/api/v1/crews/{crew_id}", headers=actor.headers)
    assert crew.json()["default_inputs"] == {"topic": "tides"}
