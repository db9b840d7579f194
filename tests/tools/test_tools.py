"""The tools catalog: built-in tools from code, switched on and off per group."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import GroupContext, Role
from kasal.engine.tools.catalog import CATALOG
from kasal.tools import service as tools
from tests.factories import add_api_key, add_to_group, make_actor, make_group

API = "/api/v1/tools"


async def test_every_built_in_tool_is_listed_and_enabled(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    response = await client.get(API, headers=actor.headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [t["id"] for t in items] == list(CATALOG)
    assert response.json()["next_cursor"] is None
    for item in items:
        info = CATALOG[item["id"]]
        assert item == {
            "id": info.id,
            "name": info.name,
            "category": info.category,
            "description": info.description,
            "config_schema": info.config_schema(),
            "credentials": [{"provider": p, "configured": False} for p in info.credentials],
            "caution": info.caution,
            "enabled": True,
        }


async def test_a_group_disables_and_enables_a_tool(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    other = await make_actor(app, client)
    off = await client.patch(f"{API}/http_request", json={"enabled": False}, headers=actor.headers)
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert off.json()["config_schema"] == CATALOG["http_request"].config_schema()
    got = await client.get(f"{API}/http_request", headers=actor.headers)
    assert got.json()["enabled"] is False
    theirs = await client.get(f"{API}/http_request", headers=other.headers)
    assert theirs.json()["enabled"] is True
    async with app.state.sessionmaker() as session:
        ctx = GroupContext(actor.user.id, actor.user.personal_group_id, Role.admin)
        states = await tools.tool_states(session, ctx)
    assert states == {tool_id: tool_id != "http_request" for tool_id in CATALOG}
    on = await client.patch(f"{API}/http_request", json={"enabled": True}, headers=actor.headers)
    assert on.json()["enabled"] is True
    again = await client.patch(f"{API}/http_request", json={"enabled": True}, headers=actor.headers)
    assert again.json()["enabled"] is True


async def test_unknown_tool_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for method, body in (("GET", None), ("PATCH", {"enabled": False})):
        response = await client.request(method, f"{API}/shell", json=body, headers=actor.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "tool_not_found"


async def test_enabled_must_be_a_boolean(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    response = await client.patch(f"{API}/file_read", json={}, headers=actor.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "enabled"]


@pytest.mark.parametrize("role", [Role.operator, Role.viewer])
async def test_viewers_and_operators_read_but_do_not_switch(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    member = await make_actor(app, client)
    await add_to_group(app, team, member.user, role)
    headers = member.in_group(team)
    assert (await client.get(API, headers=headers)).status_code == 200
    refused = await client.patch(f"{API}/file_write", json={"enabled": False}, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_role"
    assert (await client.get(f"{API}/file_write", headers=headers)).json()["enabled"] is True
    editor = await make_actor(app, client)
    await add_to_group(app, team, editor.user, Role.editor)
    allowed = await client.patch(
        f"{API}/file_write", json={"enabled": False}, headers=editor.in_group(team)
    )
    assert allowed.status_code == 200
    assert (await client.get(f"{API}/file_write", headers=headers)).json()["enabled"] is False


async def test_a_group_you_are_not_in_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    headers = stranger.in_group(owner.user.personal_group_id)
    for method, url, body in (
        ("GET", API, None),
        ("PATCH", f"{API}/file_read", {"enabled": False}),
    ):
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "group_not_found"
    assert (await client.get(f"{API}/file_read", headers=owner.headers)).json()["enabled"] is True


async def test_a_tool_says_which_of_its_keys_the_group_has(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await add_api_key(client, actor, "brave", "brave-key-0123456789")
    search = (await client.get(f"{API}/web_search", headers=actor.headers)).json()
    assert search["category"] == "web"
    assert search["credentials"] == [
        {"provider": "serper", "configured": False},
        {"provider": "tavily", "configured": False},
        {"provider": "brave", "configured": True},
    ]
    assert search["config_schema"]["properties"]["provider"]["enum"] == [
        "serper",
        "tavily",
        "brave",
        "searxng",
    ]
