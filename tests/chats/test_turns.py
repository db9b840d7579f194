"""Chat turns end to end: real server, real worker process, scripted LLM over HTTP."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from tests.chats.support import make_agent, make_chat, messages, say
from tests.executions.support import all_events, create_crew, use_scripted_model
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, error, text
from tests.support.server import LiveServer


async def test_each_turn_carries_the_talk_so_far_and_streams_its_answer(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        chat = await make_chat(http, actor, agent_id=await make_agent(http, actor, model))
        llm_server.script(
            text("Tides come twice a day because of the moon."),
            text("Spring tides are the highest ones."),
            text("You asked about tides and spring tides."),
        )
        first = await say(http, actor, chat["id"], "Why are there two tides a day?")
        second = await say(http, actor, chat["id"], "Which tides are highest?")
        third = await say(http, actor, chat["id"], "What did I ask so far?")
        talk = await messages(http, actor, chat["id"])
        saved = await http.post(
            f"/api/v1/chats/{chat['id']}/crew", json={"name": "Tide talk"}, headers=actor.headers
        )
        events = await all_events(http, actor, second["execution_id"])
        run = (
            await http.get(f"/api/v1/executions/{second['execution_id']}", headers=actor.headers)
        ).json()

    assert [(m["role"], m["status"]) for m in talk] == [("user", "done"), ("assistant", "done")] * 3
    assert [m["position"] for m in talk] == list(range(6))
    assert [first["content"], second["content"], third["content"]] == [
        "Tides come twice a day because of the moon.",
        "Spring tides are the highest ones.",
        "You asked about tides and spring tides.",
    ]
    assert len({first["execution_id"], second["execution_id"], third["execution_id"]}) == 3
    prompts = [r.prompt for r in llm_server.chat_requests]
    assert len(prompts) == 3
    assert "Why are there two tides a day?" in prompts[0]
    assert "Which tides are highest?" in prompts[1]
    for earlier in (
        "Why are there two tides a day?",
        "Tides come twice a day because of the moon.",
    ):
        assert earlier in prompts[1]  # the second request carries the first turn
        assert earlier in prompts[2]
    assert "Spring tides are the highest ones." in prompts[2]
    assert all(r.body.get("stream") is True for r in llm_server.chat_requests)
    chunks = "".join(e["data"].get("text", "") for e in events if e["type"] == "llm.chunk")
    assert "Spring tides are the highest ones." in chunks  # streamed token by token
    assert run["status"] == "succeeded"
    assert run["crew_id"] is None  # an agent's chat runs a one-task crew no one stores

    assert saved.status_code == 201, saved.text
    crew = saved.json()
    assert crew["name"] == "Tide talk"
    assert [(a["key"], a["role"], a["llm"]) for a in crew["agents"]] == [
        ("assistant", "Tide expert", model)
    ]
    assert [(t["key"], t["description"], t["context"]) for t in crew["tasks"]] == [
        ("turn_1", "Why are there two tides a day?", []),
        ("turn_2", "Which tides are highest?", ["turn_1"]),
        ("turn_3", "What did I ask so far?", ["turn_2"]),
    ]
    assert [p for p in crew["problems"] if p["severity"] == "error"] == []


async def test_a_run_failing_mid_chat_shows_its_error_and_the_chat_goes_on(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        crew = {
            "name": "Answers",
            "agents": [{"key": "expert", "role": "Expert", "goal": "Answer", "llm": model}],
            "tasks": [
                {
                    "key": "answer",
                    "name": "Answer",
                    "description": "Answer this: {question}",
                    "expected_output": "An answer",
                    "agent": "expert",
                }
            ],
        }
        chat = await make_chat(http, actor, crew_id=await create_crew(http, actor, crew))
        llm_server.script(
            text("The moon."),
            error(401, "Incorrect API key provided"),
            text("Still here."),
        )
        await say(http, actor, chat["id"], "What pulls the tides?")
        failed = await say(http, actor, chat["id"], "And the sun?")
        recovered = await say(http, actor, chat["id"], "Are you there?")
        run = (
            await http.get(f"/api/v1/executions/{failed['execution_id']}", headers=actor.headers)
        ).json()
        saved = await http.post(f"/api/v1/chats/{chat['id']}/crew", json={}, headers=actor.headers)

    assert failed["status"] == "failed"
    assert failed["content"] == ""
    assert run["status"] == "failed"
    assert failed["error"] == run["error"]
    assert "key" in failed["error"].lower()
    assert recovered["status"] == "done"
    assert recovered["content"] == "Still here."
    prompts = [r.prompt for r in llm_server.chat_requests]
    assert "Answer this: And the sun?" in prompts[1]  # the message fills the {question} input
    assert "What pulls the tides?" in prompts[2]
    assert "Answer this: Are you there?" in prompts[2]
    assert saved.status_code == 201, saved.text
    copy = saved.json()
    assert copy["name"] == chat["title"]
    assert [t["description"] for t in copy["tasks"]] == ["Answer this: {question}"]
    history = json.loads(copy["default_inputs"]["crew_chat_messages"])
    assert [m["content"] for m in history] == [
        "What pulls the tides?",
        "The moon.",
        "And the sun?",
        "Are you there?",
        "Still here.",
    ]


async def test_a_long_history_is_cut_to_the_context_window_with_a_note(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        small = await http.patch(
            f"/api/v1/models/{model}", json={"context_window": 600}, headers=actor.headers
        )
        assert small.status_code == 200, small.text
        chat = await make_chat(http, actor, agent_id=await make_agent(http, actor, model))
        llm_server.script(text("First answer."), text("Second answer."))
        await say(http, actor, chat["id"], "The first question, " + "long " * 200)
        second = await say(http, actor, chat["id"], "The second question, " + "more " * 100)
        too_long = await http.post(
            f"/api/v1/chats/{chat['id']}/messages",
            json={"content": "word " * 500},
            headers=actor.headers,
        )

    prompt = llm_server.chat_requests[1].prompt
    assert "The first question" not in prompt
    assert "First answer." in prompt
    assert "1 earlier message of this conversation left out" in prompt
    assert second["omitted"] == 1
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "message_too_long"
