"""API keys: write-only values, encrypted at rest, scoped to the group, editors change them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kasal.core import crypto
from kasal.core.context import Role
from tests.factories import Actor, add_api_key, add_to_group, make_actor, make_group

API = "/api/v1/api-keys"
VALUE = "sk-proj-SECRETvalue-0123456789abcdWXYZ"


async def _raw_rows(app: FastAPI) -> list[tuple[str, str, str]]:
    async with app.state.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT provider, value_encrypted, last4 FROM api_keys ORDER BY provider")
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def test_a_key_is_stored_encrypted_and_shown_by_last4_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await client.post(
        API,
        json={"name": "Team OpenAI", "provider": "openai", "value": VALUE},
        headers=actor.headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["last4"] == "WXYZ"
    assert set(body) == {"id", "name", "provider", "last4", "created_at", "updated_at"}
    key_id = body["id"]
    responses = [
        created,
        await client.get(API, headers=actor.headers),
        await client.get(f"{API}/{key_id}", headers=actor.headers),
        await client.patch(f"{API}/{key_id}", json={"name": "renamed"}, headers=actor.headers),
    ]
    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        assert VALUE not in response.text
        assert VALUE[:-4] not in response.text
    [(provider, stored, last4)] = await _raw_rows(app)
    assert (provider, last4) == ("openai", "WXYZ")
    assert VALUE not in stored
    assert crypto.current().decrypt(stored) == VALUE


async def test_changing_the_value_reencrypts_and_updates_last4(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    key = await add_api_key(client, actor, "anthropic", VALUE)
    new_value = "sk-ant-another-secret-9876"
    changed = await client.patch(
        f"{API}/{key['id']}", json={"value": f"  {new_value}\n"}, headers=actor.headers
    )
    assert changed.status_code == 200
    assert changed.json()["last4"] == "9876"
    assert new_value not in changed.text
    [(_, stored, _)] = await _raw_rows(app)
    assert crypto.current().decrypt(stored) == new_value


async def test_short_values_show_no_last4(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    key = await add_api_key(client, actor, "ollama", "abc123")
    assert key["last4"] == ""


async def test_one_key_per_provider_and_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    await add_api_key(client, actor, "openai", VALUE)
    again = await client.post(
        API,
        json={"name": "second", "provider": "openai", "value": "sk-other-1234567"},
        headers=actor.headers,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "api_key_exists"
    assert "sk-other" not in again.text
    other_group = await make_group(client, actor)
    await add_api_key(client, actor, "openai", VALUE, group_id=other_group)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "provider": "openia", "value": VALUE}, "provider"),
        ({"name": "x", "provider": "demo", "value": VALUE}, "provider"),
        ({"name": "x", "provider": "openai", "value": ""}, "value"),
        ({"name": "x", "provider": "openai", "value": "   \n"}, "value"),
        ({"name": "x", "provider": "openai"}, "value"),
        ({"name": "", "provider": "openai", "value": VALUE}, "name"),
        ({"name": "x", "provider": "openai", "value": VALUE * 200}, "value"),
    ],
)
async def test_invalid_keys_are_refused_in_the_error_shape(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(API, json=body, headers=actor.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert ["body", field] in [d["loc"][:2] for d in error["details"]]
    assert VALUE not in response.text
    assert await _raw_rows(app) == []


async def test_delete_removes_the_key(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    key = await add_api_key(client, actor, "gemini", VALUE)
    deleted = await client.delete(f"{API}/{key['id']}", headers=actor.headers)
    assert deleted.status_code == 204
    assert deleted.text == ""
    missing = await client.get(f"{API}/{key['id']}", headers=actor.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "api_key_not_found"
    assert await _raw_rows(app) == []


async def _team(app: FastAPI, client: httpx.AsyncClient) -> tuple[uuid.UUID, dict[Role, Actor]]:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    actors = {Role.admin: owner}
    for role in (Role.editor, Role.operator, Role.viewer):
        actors[role] = await make_actor(app, client)
        await add_to_group(app, team, actors[role].user, role)
    return team, actors


@pytest.mark.parametrize("role", [Role.operator, Role.viewer])
async def test_viewers_and_operators_read_but_do_not_change(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    team, actors = await _team(app, client)
    key = await add_api_key(client, actors[Role.editor], "openai", VALUE, group_id=team)
    headers = actors[role].in_group(team)
    listed = await client.get(API, headers=headers)
    assert [k["id"] for k in listed.json()["items"]] == [key["id"]]
    assert VALUE not in listed.text
    refused = [
        ("POST", API, {"name": "x", "provider": "gemini", "value": VALUE}),
        ("PATCH", f"{API}/{key['id']}", {"value": "sk-hijacked-12345678"}),
        ("DELETE", f"{API}/{key['id']}", None),
    ]
    for method, url, body in refused:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (role, method)
        assert response.json()["error"]["code"] == "insufficient_role"
    [(provider, stored, _)] = await _raw_rows(app)
    assert provider == "openai"
    assert crypto.current().decrypt(stored) == VALUE


async def test_editors_and_admins_manage_keys(app: FastAPI, client: httpx.AsyncClient) -> None:
    team, actors = await _team(app, client)
    for role, provider in ((Role.editor, "openai"), (Role.admin, "anthropic")):
        key = await add_api_key(client, actors[role], provider, VALUE, group_id=team)
        patched = await client.patch(
            f"{API}/{key['id']}", json={"name": "n"}, headers=actors[role].in_group(team)
        )
        assert patched.status_code == 200


async def test_another_groups_key_is_not_found_and_unchanged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    key = await add_api_key(client, owner, "openai", VALUE)
    url = f"{API}/{key['id']}"
    for method, body in (
        ("GET", None),
        ("PATCH", {"value": "sk-hijacked-12345678"}),
        ("DELETE", None),
    ):
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "api_key_not_found"
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    [(_, stored, _)] = await _raw_rows(app)
    assert crypto.current().decrypt(stored) == VALUE
    in_foreign_group = await client.get(
        API, headers=stranger.in_group(owner.user.personal_group_id)
    )
    assert in_foreign_group.status_code == 404


async def test_listing_is_paginated(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for provider in ("openai", "anthropic", "gemini"):
        await add_api_key(client, actor, provider, VALUE)
    first = (await client.get(API, params={"limit": 2}, headers=actor.headers)).json()
    rest = await client.get(
        API, params={"limit": 2, "cursor": first["next_cursor"]}, headers=actor.headers
    )
    providers = [k["provider"] for k in first["items"] + rest.json()["items"]]
    assert sorted(providers) == ["anthropic", "gemini", "openai"]
    assert rest.json()["next_cursor"] is None


async def test_search_services_take_keys_but_are_no_model_providers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    for provider in ("serper", "tavily", "brave"):
        key = await add_api_key(client, actor, provider, VALUE)
        assert key["provider"] == provider
    model = {"key": "search", "provider": "serper", "model": "google"}
    refused = await client.post("/api/v1/models", json=model, headers=actor.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["loc"][:2] == ["body", "provider"]
    listed = (await client.get("/api/v1/models", headers=actor.headers)).json()["items"]
    assert {m["provider"] for m in listed}.isdisjoint({"serper", "tavily", "brave"})
