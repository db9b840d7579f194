"""Crews through the API: the document, CRUD, search, sort, pagination, validation on save."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Actor, add_api_key, crew_document, make_actor, make_crew

API = "/api/v1/crews"
DOCUMENT_KEYS = [
    "id",
    "name",
    "description",
    "default_inputs",
    "version",
    "process",
    "manager_llm",
    "planning",
    "memory",
    "embedder",
    "max_rpm",
    "verbose",
    "knowledge",
    "agents",
    "tasks",
    "edges",
    "layout",
    "inputs",
    "problems",
    "created_at",
    "updated_at",
]


async def _get(client: httpx.AsyncClient, actor: Actor, crew_id: object) -> dict[str, Any]:
    response = await client.get(f"{API}/{crew_id}", headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_crew_is_one_document_with_derived_edges_and_inputs(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await make_crew(client, actor, crew_document("Research crew"))
    assert sorted(created) == sorted(DOCUMENT_KEYS)
    assert created["version"] == 1
    assert created["problems"] == []
    assert created["inputs"] == ["topic", "audience"]
    assert created["edges"] == [
        {
            "id": "researcher->research",
            "source": "researcher",
            "target": "research",
            "kind": "assignment",
        },
        {"id": "writer->write", "source": "writer", "target": "write", "kind": "assignment"},
        {"id": "research->write", "source": "research", "target": "write", "kind": "context"},
    ]
    agent = created["agents"][0]
    assert agent == {
        "key": "researcher",
        "role": "Researcher of {topic}",
        "goal": "Find facts about {topic}",
        "backstory": "Careful and curious.",
        "llm": "demo",
        "tools": [],
        "knowledge": [],
        "allow_delegation": False,
        "max_iter": 20,
        "max_rpm": None,
        "max_execution_time": None,
        "reasoning": False,
        "verbose": False,
    }
    assert created["tasks"][1]["context"] == ["research"]
    assert created["layout"]["viewport"] == {"x": 0, "y": 0, "zoom": 1}
    assert created["created_at"].endswith("Z")
    fetched = await _get(client, actor, created["id"])
    assert fetched == created


async def test_put_takes_back_what_get_gave_and_ignores_derived_fields(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    document = {**crew, "description": "Changed", "edges": [{"junk": True}], "inputs": ["x"]}
    document["problems"] = "whatever"
    saved = await client.put(f"{API}/{crew['id']}", json=document, headers=actor.headers)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["version"] == 2
    assert body["description"] == "Changed"
    assert body["edges"] == crew["edges"]
    assert body["inputs"] == crew["inputs"]
    assert body["created_at"] == crew["created_at"]
    assert body["updated_at"] > crew["updated_at"]
    assert await _get(client, actor, crew["id"]) == body


async def test_patch_changes_only_what_it_names(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    layout = {"nodes": {"writer": {"x": 5, "y": 6}}, "viewport": {"x": 1, "y": 2, "zoom": 0.5}}
    patched = await client.patch(
        f"{API}/{crew['id']}",
        json={"version": 1, "layout": layout, "verbose": True, "manager_llm": None},
        headers=actor.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["version"] == 2
    assert body["layout"] == layout
    assert body["verbose"] is True
    assert body["agents"] == crew["agents"]
    assert body["name"] == crew["name"]
    renamed = await client.patch(
        f"{API}/{crew['id']}", json={"version": 2, "name": "  Renamed  "}, headers=actor.headers
    )
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["version"] == 3


async def test_problems_are_reported_on_save_but_never_block_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    document = crew_document(process="hierarchical")
    document["agents"][0]["llm"] = "no-such-model"
    document["agents"][1]["tools"] = [{"tool_id": "http_request", "config": {"x": 1}}]
    document["tasks"][0]["agent"] = None
    document["tasks"][1]["human_input"] = True
    crew = await make_crew(client, actor, document)
    found = {(p["pointer"], p["code"], p["severity"]) for p in crew["problems"]}
    assert found == {
        ("/manager_llm", "manager_llm_missing", "error"),
        ("/agents/0/llm", "unknown_model", "error"),
        ("/agents/1/tools/0/config", "invalid_tool_config", "error"),
        ("/tasks/0/agent", "task_without_agent", "warning"),
        ("/tasks/1/human_input", "human_input_unsupported", "error"),
    }
    report = await client.post(f"{API}/{crew['id']}/validate", headers=actor.headers)
    assert report.status_code == 200
    assert report.json() == {"problems": crew["problems"], "inputs": crew["inputs"]}


async def test_validate_checks_an_unsaved_draft(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    draft = crew_document(agents=[], tasks=[])
    report = await client.post(f"{API}/{crew['id']}/validate", json=draft, headers=actor.headers)
    assert [p["code"] for p in report.json()["problems"]] == ["no_agents", "no_tasks"]
    assert report.json()["inputs"] == []
    assert (await _get(client, actor, crew["id"]))["version"] == 1  # nothing saved


async def test_disabled_tools_and_missing_keys_come_from_the_groups_catalog(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    turned_off = await client.patch(
        "/api/v1/tools/current_datetime", json={"enabled": False}, headers=actor.headers
    )
    assert turned_off.status_code == 200, turned_off.text
    document = crew_document()
    document["agents"][0]["tools"] = [{"tool_id": "current_datetime"}]
    document["agents"][1]["llm"] = "gpt-4o"
    crew = await make_crew(client, actor, document)
    assert [(p["pointer"], p["code"]) for p in crew["problems"]] == [
        ("/agents/0/tools/0/tool_id", "tool_disabled"),
        ("/agents/1/llm", "missing_api_key"),
    ]


async def test_list_searches_sorts_and_pages_without_gaps_or_duplicates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    names = ["delta", "Alpha", "charlie", "bravo", "Echo", "alpha two", "foxtrot"]
    for name in names:
        await make_crew(client, actor, crew_document(name))
    for sort, expected in (
        ("name", sorted(names, key=str.casefold)),
        ("-name", sorted(names, key=str.casefold, reverse=True)),
        ("updated_at", names),
        ("-updated_at", names[::-1]),
    ):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(API, params=params, headers=actor.headers)).json()
            seen += [c["name"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, sort
    found = await client.get(API, params={"q": "ALPHA"}, headers=actor.headers)
    assert sorted(c["name"] for c in found.json()["items"]) == ["Alpha", "alpha two"]
    wildcard = await client.get(API, params={"q": "%"}, headers=actor.headers)
    assert wildcard.json()["items"] == []
    summary = found.json()["items"][0]
    assert (summary["agent_count"], summary["task_count"], summary["version"]) == (2, 2, 1)


async def test_names_are_unique_per_group_ignoring_case(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("Research"))
    other = await make_crew(client, actor, crew_document("Other"))
    again = await client.post(API, json=crew_document("RESEARCH"), headers=actor.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "crew_name_taken"
    rename = await client.patch(
        f"{API}/{other['id']}", json={"version": 1, "name": "research"}, headers=actor.headers
    )
    assert rename.status_code == 409
    same = await client.patch(
        f"{API}/{crew['id']}", json={"version": 1, "name": "RESEARCH"}, headers=actor.headers
    )
    assert same.status_code == 200
    elsewhere = await make_actor(app, client)
    await make_crew(client, elsewhere, crew_document("Research"))


async def test_duplicate_copies_the_document_under_a_free_name(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor, crew_document("Research"))
    first = await client.post(f"{API}/{crew['id']}/duplicate", headers=actor.headers)
    second = await client.post(f"{API}/{crew['id']}/duplicate", headers=actor.headers)
    named = await client.post(
        f"{API}/{crew['id']}/duplicate", json={"name": "Mine"}, headers=actor.headers
    )
    assert [r.status_code for r in (first, second, named)] == [201, 201, 201]
    assert [r.json()["name"] for r in (first, second, named)] == [
        "Research (copy)",
        "Research (copy 2)",
        "Mine",
    ]
    copy = first.json()
    assert copy["id"] != crew["id"]
    assert copy["version"] == 1
    assert copy["agents"] == crew["agents"]
    assert copy["layout"] == crew["layout"]
    taken = await client.post(
        f"{API}/{crew['id']}/duplicate", json={"name": "mine"}, headers=actor.headers
    )
    assert taken.status_code == 409


async def test_delete_removes_the_crew_and_its_versions(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    assert (await client.delete(f"{API}/{crew['id']}", headers=actor.headers)).status_code == 204
    for url in (f"{API}/{crew['id']}", f"{API}/{crew['id']}/versions"):
        gone = await client.get(url, headers=actor.headers)
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "crew_not_found"
    again = await client.delete(f"{API}/{crew['id']}", headers=actor.headers)
    assert again.status_code == 404


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    document: dict[str, Any] = crew_document()
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    "document",
    [
        {"description": "no name"},
        crew_document(name="   "),
        crew_document(name="x" * 201),
        _with(["agents", 0, "key"], "has space"),
        _with(["agents", 0, "key"], "k" * 65),
        _with(["tasks", 0, "key"], "researcher"),
        _with(["tasks", 0, "context"], "research"),
        _with(["tasks", 0, "output_format"], "xml"),
        _with(["agents", 0, "max_iter"], 0),
        _with(["agents", 0, "colour"], "blue"),
        _with(["agents", 0, "tools"], [{"id": "http_request"}]),
        _with(["layout", "nodes", "bad key"], {"x": 1, "y": 2}),
        _with(["layout", "viewport", "zoom"], 0),
        _with(["process"], "parallel"),
        _with(["unknown"], 1),
        _with(["agents"], [{"key": f"a{i}", "role": "r"} for i in range(101)]),
    ],
)
async def test_malformed_documents_are_refused_in_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    actor = await make_actor(app, client)
    created = await client.post(API, json=document, headers=actor.headers)
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "validation_error"
    assert created.json()["error"]["details"]


async def test_bad_requests_are_422_never_500(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    url = f"{API}/{crew['id']}"
    cases: list[tuple[str, str, Any]] = [
        ("PUT", url, {**crew_document()}),  # no version
        ("PUT", url, {**crew_document(), "version": 0}),
        ("PUT", url, [1, 2]),
        ("PATCH", url, {"name": "x"}),
        ("PATCH", url, {"version": 1, "planning": None}),
        ("PATCH", url, {"version": 1, "tasks": [{"key": "researcher"}]}),
        ("POST", f"{url}/validate", {"agents": "nope"}),
        ("POST", f"{url}/duplicate", {"name": ""}),
        ("GET", f"{API}?sort=size", None),
        ("GET", f"{API}?limit=0", None),
        ("GET", f"{API}?cursor=garbage", None),
        ("GET", f"{url}/export?format=docx", None),
        ("GET", f"{url}/versions/abc", None),
        ("POST", f"{url}/versions/1/restore", {"version": "x"}),
    ]
    for method, target, body in cases:
        response = await client.request(method, target, json=body, headers=actor.headers)
        assert response.status_code == 422, (method, target, response.text)
        assert "error" in response.json()
    for target in (f"{API}/not-a-uuid", f"{API}/{uuid.uuid4()}"):
        response = await client.get(target, headers=actor.headers)
        assert response.status_code in (404, 422)
    assert (await _get(client, actor, crew["id"]))["version"] == 1


async def test_concurrent_creates_of_one_name_give_one_crew_and_conflicts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    responses = await asyncio.gather(
        *(client.post(API, json=crew_document("Race"), headers=actor.headers) for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "crew_name_taken"
    }


async def test_the_openapi_document_describes_the_crew_endpoints(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    paths = schema["paths"]
    assert "multipart/form-data" in paths["/api/v1/crews/import"]["post"]["requestBody"]["content"]
    for path in ("/api/v1/crews/{crew_id}", "/api/v1/agents/{agent_id}", "/api/v1/tasks"):
        assert path in paths


async def test_a_search_without_the_groups_key_is_a_problem_until_one_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    document = crew_document()
    document["agents"][0]["tools"] = [{"tool_id": "web_search", "config": {"provider": "tavily"}}]
    crew = await make_crew(client, actor, document)
    assert [(p["pointer"], p["code"]) for p in crew["problems"]] == [
        ("/agents/0/tools/0/config", "missing_tool_key")
    ]
    await add_api_key(client, actor, "tavily", "tvly-key-0123456789")
    assert (await _get(client, actor, crew["id"]))["problems"] == []
