"""The chats API without running anything: sessions, validation, roles and isolation."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from kasal.core.context import Role
from tests.chats.support import make_agent, make_chat
from tests.factories import add_to_group, make_actor, make_crew, make_group, seed_database

CHATS = "/api/v1/chats"


async def test_a_chat_is_created_renamed_listed_and_deleted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed_database(app)
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    agent_id = await make_agent(client, actor, "demo")
    with_crew = await make_chat(client, actor, crew_id=crew["id"])
    with_agent = await make_chat(client, actor, agent_id=agent_id, title="Tides", model="demo")
    renamed = await client.patch(
        f"{CHATS}/{with_crew['id']}", json={"title": "Renamed"}, headers=actor.headers
    )
    listed = (await client.get(CHATS, headers=actor.headers)).json()["items"]
    deleted = await client.delete(f"{CHATS}/{with_agent['id']}", headers=actor.headers)
    gone = await client.get(f"{CHATS}/{with_agent['id']}", headers=actor.headers)

    assert with_crew["title"] == f"Chat with {crew['name']}"
    assert (with_crew["target_kind"], with_crew["crew_id"]) == ("crew", crew["id"])
    assert (with_agent["target_kind"], with_agent["agent_id"]) == ("agent", agent_id)
    assert with_agent["target_name"] == "Tide expert"
    assert with_agent["model"] == "demo"
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Renamed"
    assert [c["id"] for c in listed] == [with_crew["id"], with_agent["id"]]  # last active first
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "chat_not_found"


async def test_bad_input_is_refused_in_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew = await make_crew(client, actor)
    agent_id = await make_agent(client, actor, "demo")
    both = await client.post(
        CHATS, json={"crew_id": crew["id"], "agent_id": agent_id}, headers=actor.headers
    )
    neither = await client.post(CHATS, json={}, headers=actor.headers)
    unknown_crew = await client.post(
        CHATS, json={"crew_id": str(uuid.uuid4())}, headers=actor.headers
    )
    unknown_model = await client.post(
        CHATS, json={"crew_id": crew["id"], "model": "no-such-model"}, headers=actor.headers
    )
    chat = await make_chat(client, actor, crew_id=crew["id"])
    blank = await client.post(
        f"{CHATS}/{chat['id']}/messages", json={"content": "   "}, headers=actor.headers
    )
    untitled = await client.patch(
        f"{CHATS}/{chat['id']}", json={"title": ""}, headers=actor.headers
    )
    empty = await client.post(f"{CHATS}/{chat['id']}/crew", json={}, headers=actor.headers)

    for response in (both, neither, blank, untitled):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"
    assert unknown_crew.status_code == 404
    assert unknown_crew.json()["error"]["code"] == "crew_not_found"
    assert unknown_model.status_code == 422
    assert unknown_model.json()["error"]["code"] == "unknown_model"
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "chat_empty"  # a crew chat with no turns yet


async def test_another_groups_user_gets_404_on_every_chat_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice, bob = await make_actor(app, client), await make_actor(app, client)
    chat = await make_chat(client, alice, crew_id=(await make_crew(client, alice))["id"])
    base = f"{CHATS}/{chat['id']}"
    routes = [
        ("GET", base, None),
        ("PATCH", base, {"title": "Mine now"}),
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/messages", {"content": "Hello"}),
        ("POST", f"{base}/crew", {}),
        ("DELETE", base, None),
    ]
    for method, url, body in routes:
        response = await client.request(method, url, json=body, headers=bob.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "chat_not_found"
    bob_list = (await client.get(CHATS, headers=bob.headers)).json()["items"]
    still_there = await client.get(base, headers=alice.headers)
    assert bob_list == []
    assert still_there.status_code == 200
    assert still_there.json()["title"] == chat["title"]


async def test_chats_are_private_to_their_user_and_talking_needs_the_operator_role(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    group_id = await make_group(client, owner)
    crew = await make_crew(client, owner, group_id=group_id)
    chat = await client.post(CHATS, json={"crew_id": crew["id"]}, headers=owner.in_group(group_id))
    assert chat.status_code == 201, chat.text
    colleague = await make_actor(app, client)
    await add_to_group(app, group_id, colleague.user, Role.editor)
    viewer = await make_actor(app, client)
    await add_to_group(app, group_id, viewer.user, Role.viewer)

    peek = await client.get(f"{CHATS}/{chat.json()['id']}", headers=colleague.in_group(group_id))
    viewer_starts = await client.post(
        CHATS, json={"crew_id": crew["id"]}, headers=viewer.in_group(group_id)
    )
    viewer_list = await client.get(CHATS, headers=viewer.in_group(group_id))
    assert peek.status_code == 404  # the same group, but not their chat
    assert viewer_starts.status_code == 403
    assert viewer_list.status_code == 200
    assert viewer_list.json()["items"] == []


async def test_one_turn_at_a_time(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    await seed_database(app)
    chat = await make_chat(client, actor, agent_id=await make_agent(client, actor, "demo"))
    url = f"{CHATS}/{chat['id']}/messages"
    first = await client.post(url, json={"content": "Hello"}, headers=actor.headers)
    second = await client.post(url, json={"content": "Hello again"}, headers=actor.headers)
    listed = (await client.get(url, headers=actor.headers)).json()["items"]

    assert first.status_code == 202, first.text  # no workers here: the run stays queued
    turn = first.json()
    assert (turn["user"]["content"], turn["user"]["status"]) == ("Hello", "done")
    assert (turn["assistant"]["status"], turn["assistant"]["content"]) == ("pending", "")
    run = await client.get(
        f"/api/v1/executions/{turn['assistant']['execution_id']}", headers=actor.headers
    )
    assert run.json()["inputs"] == {"message": "Hello"}  # nothing earlier to carry
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "turn_in_progress"
    assert [m["status"] for m in listed] == ["done", "pending"]
