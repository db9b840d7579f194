"""Groups never see each other's executions: over REST, WebSocket or the group feed."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI

from kasal.core.context import Role
from tests.executions.support import create_crew, receive, start, two_step_crew, wait_for, websocket
from tests.factories import add_to_group, make_actor, make_group
from tests.support.server import LiveServer


async def test_subscribers_of_two_groups_see_only_their_own(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer
) -> None:
    alice, bob = await make_actor(app, client), await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        alice_crew = await create_crew(http, alice, two_step_crew("demo"))
        async with websocket(live.ws_url, alice) as alice_ws, websocket(live.ws_url, bob) as bob_ws:
            execution = await start(http, alice, alice_crew)
            await bob_ws.send(json.dumps({"type": "subscribe", "execution_id": execution["id"]}))
            refused = await receive(bob_ws)
            feed = await receive(alice_ws)
            await wait_for(http, alice, execution["id"])
            bob_crew = await create_crew(http, bob, two_step_crew("demo"))
            bob_run = await start(http, bob, bob_crew)
            bob_feed = await receive(bob_ws)
        for method, path in (
            ("GET", ""),
            ("GET", "/events"),
            ("GET", "/trace"),
            ("POST", "/cancel"),
            ("DELETE", ""),
        ):
            url = f"/api/v1/executions/{execution['id']}{path}"
            response = await http.request(method, url, headers=bob.headers)
            assert response.status_code == 404, (method, path)
        bob_list = (await http.get("/api/v1/executions", headers=bob.headers)).json()["items"]
    assert refused == {
        "type": "error",
        "code": "execution_not_found",
        "message": "No such execution",
    }
    assert feed["type"] == "execution.status"
    assert feed["execution_id"] == execution["id"]
    assert bob_feed["execution_id"] == bob_run["id"]  # bob never heard of alice's run
    assert [e["id"] for e in bob_list] == [bob_run["id"]]


async def test_roles_decide_who_may_run_and_delete(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    team_headers = owner.in_group(team)
    crew = await client.post("/api/v1/crews", json=two_step_crew("demo"), headers=team_headers)
    crew_id = crew.json()["id"]
    actors = {}
    for role in (Role.viewer, Role.operator, Role.editor):
        actors[role] = await make_actor(app, client)
        await add_to_group(app, team, actors[role].user, role)
    body = {"crew_id": crew_id, "inputs": {"topic": "x"}}
    viewer = await client.post(
        "/api/v1/executions", json=body, headers=actors[Role.viewer].in_group(team)
    )
    assert viewer.status_code == 403
    run = await client.post(
        "/api/v1/executions", json=body, headers=actors[Role.operator].in_group(team)
    )
    assert run.status_code == 202
    url = f"/api/v1/executions/{run.json()['id']}"
    seen = await client.get(url, headers=actors[Role.viewer].in_group(team))
    assert seen.status_code == 200
    await client.post(f"{url}/cancel", headers=actors[Role.operator].in_group(team))
    refused = await client.delete(url, headers=actors[Role.operator].in_group(team))
    assert refused.status_code == 403
    allowed = await client.delete(url, headers=actors[Role.editor].in_group(team))
    assert allowed.status_code == 204


async def test_bad_input_is_422_in_the_error_shape(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for body in (
        {},
        {"crew_id": "nope"},
        {"crew_id": "00000000-0000-0000-0000-000000000000", "inputs": {"a": 1}},
    ):
        response = await client.post("/api/v1/executions", json=body, headers=actor.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"
    missing = await client.post(
        "/api/v1/executions",
        json={"crew_id": "00000000-0000-0000-0000-000000000000"},
        headers=actor.headers,
    )
    assert missing.status_code == 404
    bad_status = await client.get("/api/v1/executions?status=flying", headers=actor.headers)
    assert bad_status.status_code == 422
