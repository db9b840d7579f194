"""Prompt templates: shipped defaults, a group's own text, reset; per group, editors only."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from kasal.core.context import Role
from tests.executions.support import use_scripted_model
from tests.factories import add_to_group, make_actor, make_group
from tests.generate.support import design, events_of, generate
from tests.support.llm_server import ScriptedLLMServer

API = "/api/v1/templates"
SYSTEM = f"{API}/generate_crew.system"


async def test_the_defaults_are_listed_with_their_variables(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)

    items = (await client.get(API, headers=actor.headers)).json()["items"]

    assert [t["key"] for t in items] == [
        "generate_crew.system",
        "generate_crew.create",
        "generate_crew.refine",
        "generate_crew.repair",
    ]
    system = items[0]
    assert system["variables"] == ["tools", "schema"]
    assert system["overridden"] is False
    assert system["content"] == system["default_content"]
    assert system["updated_at"] is None


async def test_a_groups_own_text_is_used_for_its_generations_until_reset(
    app: FastAPI, client: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    model = await use_scripted_model(client, actor, llm_server)
    text = "You design crews for ACME. Tools:\n{{tools}}\nSchema: {{schema}}"

    saved = await client.put(SYSTEM, json={"content": text}, headers=actor.headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["overridden"] is True
    llm_server.script(json.dumps(design()))
    events_of(await generate(client, actor, "Pricing brief", model=model))

    system = llm_server.chat_requests[0].messages[0]["content"]
    assert system.startswith("You design crews for ACME. Tools:\n    - http_request:")
    assert '"properties"' in system
    reset = await client.post(f"{SYSTEM}/reset", headers=actor.headers)
    assert reset.json()["overridden"] is False
    assert reset.json()["content"] == reset.json()["default_content"]
    assert (await client.get(SYSTEM, headers=actor.headers)).json()["overridden"] is False


async def test_another_groups_text_is_not_seen(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    await client.put(SYSTEM, json={"content": "Ours: {{tools}}"}, headers=owner.headers)

    theirs = (await client.get(SYSTEM, headers=stranger.headers)).json()

    assert theirs["overridden"] is False
    assert "Ours" not in theirs["content"]


async def test_unknown_variables_and_keys_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)

    unknown = await client.put(SYSTEM, json={"content": "{{secrets}}"}, headers=actor.headers)
    empty = await client.put(SYSTEM, json={"content": "  "}, headers=actor.headers)
    missing = await client.get(f"{API}/no.such", headers=actor.headers)

    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_template_variable"
    assert "{{tools}}, {{schema}}" in unknown.json()["error"]["message"]
    assert empty.status_code == 422
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "template_not_found"


async def test_viewers_read_but_only_editors_change(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    viewer = await make_actor(app, client)
    await add_to_group(app, team, viewer.user, Role.viewer)
    headers = viewer.in_group(team)

    assert (await client.get(SYSTEM, headers=headers)).status_code == 200
    changed = await client.put(SYSTEM, json={"content": "x"}, headers=headers)
    reset = await client.post(f"{SYSTEM}/reset", headers=headers)

    assert changed.status_code == 403
    assert reset.status_code == 403
