"""With the offline `demo` model, a sentence still becomes a valid crew, the same every time."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import make_actor
from tests.generate.support import events_of, generate
from tests.support.llm_server import ScriptedLLMServer

SENTENCE = "research our competitors' pricing and write a brief"


async def test_the_demo_model_designs_a_valid_crew_from_the_sentence(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)

    events = events_of(await generate(client, actor, SENTENCE))  # no key: demo by default

    assert events[0]["model"] == "demo"
    assert events[0]["offline"] is True
    assert [e["type"] for e in events] == ["started", "agent", "agent", "task", "task", "done"]
    crew = events[-1]["crew"]
    assert crew["name"] == "Research our competitors' pricing and write a brief"
    assert [(a["key"], a["llm"]) for a in crew["agents"]] == [
        ("researcher", "demo"),
        ("writer", "demo"),
    ]
    assert [(t["key"], t["agent"], t["context"]) for t in crew["tasks"]] == [
        ("research", "researcher", []),
        ("write", "writer", ["research"]),
    ]
    assert crew["inputs"] == ["topic"]
    assert crew["default_inputs"] == {"topic": "our competitors' pricing"}
    assert [p for p in crew["problems"] if p["severity"] == "error"] == []
    assert llm_server.chat_requests == []  # a template, not a model


async def test_the_same_sentence_gives_the_same_crew(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    first = events_of(await generate(client, actor, SENTENCE, model="demo"))[-1]["crew"]
    second = events_of(await generate(client, actor, SENTENCE, model="demo"))[-1]["crew"]

    assert second["name"] == f"{first['name']} (2)"  # a free name, as imports get
    ignored = {"id", "name", "created_at", "updated_at"}
    assert {k: v for k, v in first.items() if k not in ignored} == {
        k: v for k, v in second.items() if k not in ignored
    }


async def test_the_demo_model_refines_a_crew_into_a_new_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = events_of(await generate(client, actor, SENTENCE))[-1]["crew"]

    done = events_of(
        await generate(client, actor, "add a reviewer who checks sources", crew_id=crew["id"])
    )[-1]

    assert done["type"] == "done", done
    assert done["crew"]["version"] == 2
    assert done["changes"] == ["Added agent 'reviewer'", "Added task 'check'"]
    review = done["crew"]["tasks"][-1]
    assert review["agent"] == "reviewer"
    assert review["context"] == ["write"]
    assert review["description"].startswith("Check sources.")
    assert done["crew"]["layout"]["nodes"]["researcher"] == crew["layout"]["nodes"]["researcher"]
