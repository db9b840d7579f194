"""crewai.flow/v1 in and out: a round trip of a flow it can express, and clear problems
(with JSON pointers, nothing saved) for what does not map."""

from __future__ import annotations

import json
from typing import Any

import httpx
import yaml
from crewai.flow.flow_definition import FlowDefinition
from fastapi import FastAPI

from tests.factories import Actor, crew_document, make_actor, make_crew

API = "/api/v1/flows"


def expressible(research: str, rewrite: str) -> dict[str, Any]:
    return {
        "name": "Editorial",
        "description": "Research, route, review.",
        "inputs": [{"name": "topic", "default": "tides"}, {"name": "audience", "default": ""}],
        "steps": [
            {
                "key": "research",
                "kind": "crew",
                "name": "Research",
                "crew_id": research,
                "inputs": {"topic": "${inputs.topic}", "audience": "Readers of ${inputs.topic}"},
            },
            {"key": "route", "kind": "router", "name": "Good enough?"},
            {
                "key": "review",
                "kind": "approval",
                "name": "Editor review",
                "review": "Draft: ${steps.research.output}",
                "approval": {
                    "question": "Publish this?",
                    "answers": ["approve", "reject"],
                    "timeout_s": 3600,
                    "on_timeout": "approve",
                    "role": "editor",
                },
            },
            {
                "key": "rewrite",
                "kind": "crew",
                "name": "Rewrite",
                "crew_id": rewrite,
                "inputs": {"topic": "${steps.research.json.title}", "audience": "all"},
            },
            {
                "key": "archive",
                "kind": "crew",
                "name": "Archive",
                "crew_id": rewrite,
                "crew_version": 1,
                "inputs": {"topic": "x", "audience": "y"},
            },
        ],
        "edges": [
            {"source": "research", "target": "route"},
            {
                "source": "route",
                "target": "review",
                "when": {"path": "steps.research.json.score", "op": "ge", "value": 7},
            },
            {
                "source": "route",
                "target": "rewrite",
                "when": {"path": "steps.research.output", "op": "contains", "value": "redo"},
            },
            {"source": "route", "target": "archive", "default": True},
            {"source": "review", "target": "rewrite", "on": "reject"},
        ],
    }


def comparable(flow: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The document without ids and server fields; crews by name instead of id."""
    steps = [
        {**s, "crew_id": names.get(s["crew_id"]) if s["crew_id"] else None, "crew_version": None}
        for s in flow["steps"]
    ]
    edges = sorted(flow["edges"], key=json.dumps)
    keep = ("description", "inputs")
    return {**{k: flow[k] for k in keep}, "steps": steps, "edges": edges}


async def crew_names(client: httpx.AsyncClient, actor: Actor) -> dict[str, str]:
    listed = (await client.get("/api/v1/crews", headers=actor.headers)).json()
    return {c["id"]: c["name"] for c in listed["items"]}


async def test_an_expressible_flow_round_trips_through_yaml_and_json(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    research = await make_crew(client, actor, crew_document("Researchers"))
    rewrite = await make_crew(client, actor, crew_document("Rewriters"))
    document = expressible(research["id"], rewrite["id"])
    created = await client.post(API, json=document, headers=actor.headers)
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["problems"] == []

    for fmt, media in (("yaml", "application/yaml"), ("json", "application/json")):
        exported = await client.get(
            f"{API}/{flow['id']}/export", params={"format": fmt}, headers=actor.headers
        )
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"].startswith(media)
        data = yaml.safe_load(exported.text) if fmt == "yaml" else exported.json()
        definition = FlowDefinition.from_declaration(contents=data)  # crewai's own model
        assert definition.methods["research"].do.call == "crew"
        assert definition.methods["route"].router
        assert definition.methods["review"].human_feedback is not None
        assert data["methods"]["research"]["do"]["inputs"]["topic"] == "${state.topic}"
        assert "outputs.research.json_dict.score >= 7" in data["methods"]["route"]["do"]["expr"]

        imported = await client.post(
            f"{API}/import",
            content=exported.content,
            headers={**actor.headers, "Content-Type": media},
        )
        assert imported.status_code == 201, imported.text
        again = imported.json()
        assert again["name"].startswith("Editorial (")
        assert len(again["crew_ids"]) == 2
        names = await crew_names(client, actor)
        before = comparable(flow, names)
        after = comparable(again, names)
        for step in after["steps"]:  # the imported crews are new crews, named after the old
            if step["crew_id"]:
                step["crew_id"] = step["crew_id"].split(" (")[0]
        assert after == before
        for old, new in zip(flow["steps"], again["steps"], strict=True):
            if old["crew_id"]:
                old_crew = (
                    await client.get(f"/api/v1/crews/{old['crew_id']}", headers=actor.headers)
                ).json()
                new_crew = (
                    await client.get(f"/api/v1/crews/{new['crew_id']}", headers=actor.headers)
                ).json()
                assert new_crew["agents"] == old_crew["agents"]
                assert new_crew["tasks"] == old_crew["tasks"]
                assert new_crew["process"] == old_crew["process"]


UNMAPPABLE = """\
schema: crewai.flow/v1
name: Unmappable
persist: {enabled: true}
state:
  type: dict
  default: {topic: tides}
methods:
  seed:
    start: true
    do: {call: code, ref: "my_module:seed"}
  loop:
    listen: seed
    do:
      call: each
      in: state.items
      do:
        - {name: one, action: {call: expression, expr: "item"}}
  decide:
    listen: seed
    router: true
    emit: [yes, no]
    do:
      call: agent
      with: {role: Router, goal: Decide, backstory: Decides, input: "${outputs.seed}"}
"""


async def test_what_does_not_map_is_a_problem_at_its_pointer_and_nothing_is_saved(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    files = {"file": ("unmappable.yaml", UNMAPPABLE.encode(), "application/yaml")}
    response = await client.post(f"{API}/import", files=files, headers=actor.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "flow_import_invalid"
    pointers = {(d["pointer"], d["code"]) for d in error["details"]}
    assert pointers == {
        ("/persist", "unsupported_persist"),
        ("/methods/seed/do/call", "unsupported_action"),
        ("/methods/loop/do/call", "unsupported_action"),
        ("/methods/decide/do/call", "unsupported_action"),
    }
    assert (await client.get(API, headers=actor.headers)).json()["items"] == []

    router = """\
schema: crewai.flow/v1
name: Router
methods:
  research:
    start: true
    do:
      call: crew
      with:
        agents: {a: {role: R, goal: G, backstory: B}}
        tasks: [{name: t, description: D, expected_output: E, agent: a}]
  route:
    listen: research
    router: true
    emit: [go_good, bad]
    do: {call: expression, expr: "size(outputs.research.raw) > 10 ? 'go_good' : 'bad'"}
  good:
    listen: go_good
    do: {call: crew, from_declaration: no such crew}
"""
    response = await client.post(
        f"{API}/import",
        content=router.encode(),
        headers={**actor.headers, "Content-Type": "application/yaml"},
    )
    assert response.status_code == 422, response.text
    details = {(d["pointer"], d["code"]) for d in response.json()["error"]["details"]}
    assert details == {
        ("/methods/route/do/expr", "unsupported_condition"),
        ("/methods/good/do/from_declaration", "unknown_crew"),
    }
    crews = (await client.get("/api/v1/crews", headers=actor.headers)).json()["items"]
    assert crews == []  # the inline crew was not saved either

    not_a_flow = await client.post(
        f"{API}/import", json={"schema": "crewai.flow/v2", "name": "x"}, headers=actor.headers
    )
    assert not_a_flow.status_code == 422
    assert not_a_flow.json()["error"]["details"][0]["pointer"] == "/schema"
