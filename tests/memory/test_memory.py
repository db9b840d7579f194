"""Memory across runs through the API: real runs in worker processes, the offline embedder,
the scripted LLM answering crewai's memory prompts; list, search, delete, reset; groups."""

from __future__ import annotations

import json
from typing import Any

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
from tests.factories import Actor, make_actor
from tests.support.llm_server import RecordedRequest, ScriptedLLMServer
from tests.support.server import LiveServer

OFFLINE = "wordllama-l2-256"
FACT = "Research on tides found that the spring tide at Saint-Malo rises thirteen metres."


def analyst(facts: dict[str, str]) -> Any:
    """crewai's memory prompts answered: the fact of the crew named in the content."""

    def answer(request: RecordedRequest) -> str | None:
        system = request.messages[0].get("content", "") if request.messages else ""
        if "extract discrete, reusable memory statements" in system:
            prompt = request.prompt
            return json.dumps({"memories": [f for name, f in facts.items() if name in prompt]})
        if "analyze content to be stored" in system:
            return json.dumps({"suggested_scope": "/", "categories": ["tides"], "importance": 0.9})
        if "comparing new content against existing memories" in system:
            return json.dumps({"actions": [], "insert_new": False})
        return None

    return answer


def crew_doc(model: str, name: str, scope: str) -> dict[str, Any]:
    document = two_step_crew(model)
    document["tasks"][0]["description"] = f"Research {{topic}} for {name}"
    return {**document, "name": name, "memory": scope, "embedder": OFFLINE}


async def run_and_events(
    http: httpx.AsyncClient, actor: Actor, crew_id: str
) -> list[dict[str, Any]]:
    execution = await start(http, actor, crew_id)
    finished = await wait_for(http, actor, execution["id"], within=120)
    assert finished["status"] == "succeeded", finished["error"]
    return await all_events(http, actor, execution["id"])


def recalled(events: list[dict[str, Any]]) -> list[str]:
    found = [e["data"]["memories"] for e in events if e["type"] == "memory.recalled"]
    return [memory["preview"] for memories in found for memory in memories]


async def test_a_crew_remembers_across_runs_and_only_for_itself(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    llm_server.responder = analyst({"Tide crew": FACT})
    alice = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        model = await use_scripted_model(http, alice, llm_server)
        tides = await create_crew(http, alice, crew_doc(model, "Tide crew", "crew"))
        other = await create_crew(http, alice, crew_doc(model, "Other crew", "crew"))

        first = await run_and_events(http, alice, tides)
        listed = await http.get("/api/v1/memory", params={"crew_id": tides}, headers=alice.headers)
        second = await run_and_events(http, alice, tides)
        elsewhere = await run_and_events(http, alice, other)
        found = await http.get(
            "/api/v1/memory",
            params={"crew_id": tides, "q": "How high is the spring tide?"},
            headers=alice.headers,
        )
        others = await http.get("/api/v1/memory", params={"crew_id": other}, headers=alice.headers)

    saved = [e for e in first if e["type"] == "memory.saved"]
    assert saved[0]["data"]["memories"] == [{"preview": FACT}]
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["scope"] == "crew"
    assert body["total"] == 1
    (item,) = body["items"]
    assert item["text"] == FACT
    assert item["embedder"] == OFFLINE
    assert item["score"] is None
    assert FACT in recalled(second)
    assert FACT not in recalled(elsewhere)
    assert found.status_code == 200, found.text
    (hit,) = found.json()["items"]
    assert hit["text"] == FACT
    assert 0.0 < hit["score"] <= 1.0
    assert FACT not in [m["text"] for m in others.json()["items"]]
    group_id = alice_group(live, tides)
    assert (live.settings.data_dir / "memory" / group_id / f"crew-{tides}").is_dir()


def alice_group(live: LiveServer, crew_id: str) -> str:
    """The group folder that holds the crew's memory (the only one under memory/)."""
    folders = [p for p in (live.settings.data_dir / "memory").iterdir() if p.is_dir()]
    (owner,) = [p for p in folders if (p / f"crew-{crew_id}").is_dir()]
    return owner.name


async def test_group_memory_is_shared_by_the_groups_crews_and_never_by_another_group(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    llm_server.responder = analyst({"Alice crew": FACT})
    alice, bob = await make_actor(app, client), await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        alice_model = await use_scripted_model(http, alice, llm_server)
        bob_model = await use_scripted_model(http, bob, llm_server)
        alice_crew = await create_crew(http, alice, crew_doc(alice_model, "Alice crew", "group"))
        alice_other = await create_crew(http, alice, crew_doc(alice_model, "Second", "group"))
        bob_crew = await create_crew(http, bob, crew_doc(bob_model, "Bob crew", "group"))

        await run_and_events(http, alice, alice_crew)
        shared = await run_and_events(http, alice, alice_other)
        bobs = await run_and_events(http, bob, bob_crew)
        bob_view = await http.get(
            "/api/v1/memory", params={"crew_id": bob_crew}, headers=bob.headers
        )
        refused = [
            await http.get("/api/v1/memory", params={"crew_id": alice_crew}, headers=bob.headers),
            await http.get(
                "/api/v1/memory",
                params={"crew_id": alice_crew, "q": "tide"},
                headers=bob.headers,
            ),
            await http.delete(
                "/api/v1/memory/some-id", params={"crew_id": alice_crew}, headers=bob.headers
            ),
            await http.post(
                "/api/v1/memory/reset",
                json={"scope": "crew", "crew_id": alice_crew},
                headers=bob.headers,
            ),
        ]

    assert FACT in recalled(shared)
    assert FACT not in recalled(bobs)
    assert bob_view.json()["scope"] == "group"
    assert FACT not in [m["text"] for m in bob_view.json()["items"]]
    assert [r.status_code for r in refused] == [404, 404, 404, 404]
    assert {r.json()["error"]["code"] for r in refused} == {"crew_not_found"}
