"""Generating a crew against the scripted LLM: streamed, checked, repaired once, saved."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from tests.executions.support import use_scripted_model
from tests.factories import make_actor
from tests.generate.support import design, events_of, generate
from tests.support.llm_server import ScriptedLLMServer, error


async def test_a_valid_answer_streams_its_nodes_onto_a_saved_crew(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    llm_server.script(json.dumps(design()))

    events = events_of(await generate(client, actor, "Research competitors' pricing", model=model))

    assert [e["type"] for e in events] == ["started", "agent", "agent", "task", "task", "done"]
    assert events[0]["model"] == "scripted"
    assert events[0]["offline"] is False
    assert [e["agent"]["key"] for e in events if e["type"] == "agent"] == ["researcher", "writer"]
    assert events[1]["agent"]["llm"] == "scripted"
    assert events[1]["agent"]["tools"] == [{"tool_id": "calculator", "config": {}}]
    done = events[-1]
    assert done["created"] is True
    assert done["repaired"] is False
    assert done["summary"] == "A researcher finds prices; a writer writes the brief."
    assert done["changes"][0] == "Added agent 'researcher' (Pricing researcher)"
    crew = done["crew"]
    assert crew["problems"] == []
    assert crew["inputs"] == ["company"]
    assert crew["default_inputs"] == {"company": "Acme"}
    assert set(crew["layout"]["nodes"]) == {"researcher", "writer", "research", "brief"}
    stored = await client.get(f"/api/v1/crews/{crew['id']}", headers=actor.headers)
    assert stored.json()["version"] == 1
    assert stored.json()["tasks"][1]["context"] == ["research"]

    (request,) = llm_server.chat_requests
    assert request.body["stream"] is True
    assert request.body["response_format"]["type"] == "json_schema"
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) >= {"agents", "tasks", "default_inputs"}
    system = request.messages[0]["content"]
    assert "- calculator:" in system
    assert "web_search" not in system  # it needs a search key the group has not set
    assert "Research competitors' pricing" in request.messages[1]["content"]


def fenced(answer: dict[str, object]) -> str:
    """An answer as chat models often write it: in a Markdown code fence."""
    return "```json\n" + json.dumps(answer) + "\n```"


async def test_an_invalid_first_answer_is_repaired_in_one_round(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    broken = design()
    broken["tasks"][1]["agent"] = "editor"  # no such agent
    broken["agents"][0]["tools"] = ["teleport"]  # no such tool
    llm_server.script(fenced(broken), json.dumps(design()))

    events = events_of(await generate(client, actor, "Pricing brief", model=model))

    types = [e["type"] for e in events]
    assert types[0] == "started"
    assert types[-1] == "done"
    repair = events[types.index("repair")]
    assert any("'teleport' is not one of the tools offered" in p for p in repair["problems"])
    assert any("unknown_agent" in p for p in repair["problems"])
    # The repaired answer streams its nodes again, after the repair event.
    assert types[types.index("repair") :].count("agent") == 2
    assert events[-1]["repaired"] is True
    assert events[-1]["crew"]["problems"] == []
    first, second = llm_server.chat_requests
    assert second.messages[:2] == first.messages[:2]
    assert second.messages[2] == {"role": "assistant", "content": fenced(broken)}
    assert "unknown_agent" in second.messages[3]["content"]
    assert "cannot be used as it is" in second.messages[3]["content"]


async def test_an_answer_still_invalid_after_the_repair_is_reported_and_not_saved(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    llm_server.script("Sure! Here is a crew for you.", json.dumps(design(agents=[])))

    events = events_of(await generate(client, actor, "Pricing brief", model=model))

    # The second answer's tasks stream (they are well formed); its lack of agents fails it.
    assert [e["type"] for e in events] == ["started", "repair", "task", "task", "error"]
    assert "not one JSON object" in events[1]["problems"][0]
    error = events[-1]["error"]
    assert error["code"] == "generation_invalid"
    assert "nothing was saved" in error["message"]
    assert any(line.startswith("/agents") for line in error["details"])
    crews = await client.get("/api/v1/crews", headers=actor.headers)
    assert crews.json()["items"] == []


async def test_a_refinement_saves_a_new_version_and_summarises_the_change(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    llm_server.script(json.dumps(design()))
    created = events_of(await generate(client, actor, "Pricing brief", model=model))[-1]["crew"]
    moved = {**created["layout"]["nodes"], "writer": {"x": 5.0, "y": 900.0}}
    patched = await client.patch(
        f"/api/v1/crews/{created['id']}",
        json={"version": 1, "layout": {"nodes": moved}},
        headers=actor.headers,
    )
    assert patched.status_code == 200, patched.text
    refined = design(summary="Added a reviewer who checks the sources.")
    refined["agents"].append(
        {"key": "reviewer", "role": "Source checker", "goal": "Check every source"}
    )
    refined["tasks"].append(
        {
            "key": "review",
            "description": "Check the sources of the brief.",
            "expected_output": "The brief, with every claim's source checked",
            "agent": "reviewer",
            "context": ["brief"],
        }
    )
    llm_server.script(json.dumps(refined))

    events = events_of(
        await generate(
            client,
            actor,
            "add a reviewer who checks sources",
            model=model,
            crew_id=created["id"],
            version=2,
        )
    )

    assert events[0]["based_on"] == 2
    done = events[-1]
    assert done["type"] == "done", done
    assert done["created"] is False
    assert done["crew"]["id"] == created["id"]
    assert done["crew"]["version"] == 3
    assert done["changes"] == ["Added agent 'reviewer'", "Added task 'review'"]
    assert done["summary"] == "Added a reviewer who checks the sources."
    nodes = done["crew"]["layout"]["nodes"]
    assert nodes["writer"] == {"x": 5.0, "y": 900.0}  # what stays keeps its place
    assert "review" in nodes
    (_, request) = llm_server.chat_requests
    assert '"key": "researcher"' in request.messages[1]["content"]
    assert "add a reviewer who checks sources" in request.messages[1]["content"]
    versions = await client.get(f"/api/v1/crews/{created['id']}/versions", headers=actor.headers)
    assert [v["version"] for v in versions.json()["items"]] == [3, 2, 1]


async def test_a_refinement_based_on_an_old_version_is_refused_before_any_model_call(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    llm_server.script(json.dumps(design()))
    crew = events_of(await generate(client, actor, "Pricing brief", model=model))[-1]["crew"]
    await client.patch(
        f"/api/v1/crews/{crew['id']}", json={"version": 1, "name": "Renamed"}, headers=actor.headers
    )

    response = await generate(client, actor, "add a reviewer", crew_id=crew["id"], version=1)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_conflict"
    assert len(llm_server.chat_requests) == 1


async def test_a_failing_model_is_reported_in_the_stream_without_its_key(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    llm_server.script(error(401, "Incorrect API key provided: sk-test-key"))

    events = events_of(await generate(client, actor, "Pricing brief", model=model))

    assert [e["type"] for e in events] == ["started", "error"]
    assert events[1]["error"]["code"] == "model_failed"
    assert "sk-test-key" not in json.dumps(events)
    crews = await client.get("/api/v1/crews", headers=actor.headers)
    assert crews.json()["items"] == []
