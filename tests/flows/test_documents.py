"""Flows are versioned documents like crews: versions, restore, 409 on a stale save, and
validation problems with JSON pointers."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Actor, make_actor, make_crew

API = "/api/v1/flows"


def flow_document(crew_id: str, name: str = "Triage", **overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": name,
        "inputs": [{"name": "topic", "default": ""}, {"name": "audience", "default": "all"}],
        "steps": [
            {
                "key": "research",
                "kind": "crew",
                "name": "Research",
                "crew_id": crew_id,
                "inputs": {"topic": "${inputs.topic}"},
            },
            {"key": "route", "kind": "router", "name": "Good enough?"},
            {
                "key": "review",
                "kind": "approval",
                "name": "Editor review",
                "review": "${steps.research.output}",
                "approval": {"question": "Publish this?"},
            },
            {"key": "rewrite", "kind": "crew", "crew_id": crew_id},
        ],
        "edges": [
            {"source": "research", "target": "route"},
            {
                "source": "route",
                "target": "review",
                "when": {"path": "steps.research.json.score", "op": "ge", "value": 7},
            },
            {"source": "route", "target": "rewrite", "default": True},
        ],
    }
    return document | overrides


async def make_flow(client: httpx.AsyncClient, actor: Actor, document: dict[str, Any]) -> Any:
    response = await client.post(API, json=document, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_flow_is_saved_read_listed_and_deleted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    flow = await make_flow(client, actor, flow_document(crew["id"]))
    assert flow["version"] == 1
    assert flow["problems"] == []
    assert flow["steps"][0]["crew_id"] == crew["id"]
    assert flow["edges"][1]["when"] == {"path": "steps.research.json.score", "op": "ge", "value": 7}
    got = await client.get(f"{API}/{flow['id']}", headers=actor.headers)
    assert got.json() == flow
    listed = (await client.get(API, headers=actor.headers)).json()
    assert [(f["name"], f["step_count"]) for f in listed["items"]] == [("Triage", 4)]
    taken = await client.post(API, json=flow_document(crew["id"]), headers=actor.headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "flow_name_taken"
    assert (await client.delete(f"{API}/{flow['id']}", headers=actor.headers)).status_code == 204
    gone = await client.get(f"{API}/{flow['id']}", headers=actor.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "flow_not_found"


async def test_saves_are_versions_a_stale_save_is_refused_and_restore_brings_one_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    flow = await make_flow(client, actor, flow_document(crew["id"]))
    url = f"{API}/{flow['id']}"
    second = await client.put(url, json={**flow, "description": "two"}, headers=actor.headers)
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    stale = await client.put(url, json={**flow, "description": "late"}, headers=actor.headers)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "version_conflict"
    assert stale.json()["error"]["details"][0]["current_version"] == 2
    versions = (await client.get(f"{url}/versions", headers=actor.headers)).json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert versions["items"][0]["author_email"] == actor.user.email
    first = (await client.get(f"{url}/versions/1", headers=actor.headers)).json()
    assert first["description"] == ""
    restored = await client.post(f"{url}/versions/1/restore", headers=actor.headers)
    assert restored.status_code == 200, restored.text
    assert (restored.json()["version"], restored.json()["description"]) == (3, "")
    missing = await client.get(f"{url}/versions/9", headers=actor.headers)
    assert missing.json()["error"]["code"] == "flow_version_not_found"
    guarded = await client.post(
        f"{url}/versions/2/restore", json={"version": 1}, headers=actor.headers
    )
    assert guarded.status_code == 409


async def test_validation_reports_each_problem_at_its_pointer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    broken = flow_document(
        crew["id"],
        steps=[
            {"key": "a", "kind": "crew", "crew_id": crew["id"], "inputs": {"x": "${inputs.nope}"}},
            {"key": "a", "kind": "crew"},
            {"key": "route", "kind": "router"},
            {"key": "ok", "kind": "approval", "review": "${steps.later.output}"},
            {"key": "later", "kind": "crew", "crew_id": "00000000-0000-0000-0000-000000000000"},
        ],
        edges=[
            {"source": "a", "target": "route"},
            {"source": "route", "target": "ok"},
            {"source": "ok", "target": "later"},
            {"source": "ok", "target": "ghost"},
            {"source": "later", "target": "a"},
        ],
    )
    flow = await make_flow(client, actor, broken)  # a draft saves; its problems are listed
    found = {(p["pointer"], p["code"]) for p in flow["problems"]}
    assert found >= {
        ("/steps/1/key", "duplicate_key"),
        ("/steps/1/crew_id", "missing_crew"),
        ("/steps/4/crew_id", "unknown_crew"),
        ("/steps/0/inputs/x", "unknown_input"),
        ("/steps/2", "router_without_conditions"),
        ("/steps/2", "router_without_default"),
        ("/edges/1/when", "missing_condition"),
        ("/edges/2/on", "missing_decision"),
        ("/edges/3/target", "unknown_step"),
        ("/steps/3/review", "step_not_upstream"),
    }
    assert any(code == "cycle" for _, code in found)
    report = await client.post(f"{API}/{flow['id']}/validate", headers=actor.headers)
    assert {(p["pointer"], p["code"]) for p in report.json()["problems"]} == found
    draft = await client.post(
        f"{API}/{flow['id']}/validate", json=flow_document(crew["id"]), headers=actor.headers
    )
    assert draft.json() == {"problems": [], "inputs": ["topic", "audience"]}
    run = await client.post(
        "/api/v1/executions", json={"flow_id": flow["id"]}, headers=actor.headers
    )
    assert run.status_code == 422
    assert run.json()["error"]["code"] == "flow_invalid"


async def test_bad_bodies_are_refused_in_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    bad_kind = flow_document(crew["id"], steps=[{"key": "x", "kind": "loop"}])
    response = await client.post(API, json=bad_kind, headers=actor.headers)
    assert response.status_code == 422
    assert "error" in response.json()
    both = await client.post(
        "/api/v1/executions",
        json={"crew_id": crew["id"], "flow_id": crew["id"]},
        headers=actor.headers,
    )
    assert both.status_code == 422
