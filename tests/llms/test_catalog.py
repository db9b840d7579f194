"""The model catalog: seeded globals, group overrides, custom models, has_key, roles, groups."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kasal.core.context import Role
from kasal.llms.models import GroupLLMModel, LLMModel
from tests.factories import Actor, add_api_key, add_to_group, make_actor, make_group

API = "/api/v1/models"
OLLAMA: dict[str, Any] = {
    "key": "team/llama3.2:3b",
    "provider": "ollama",
    "model": "llama3.2:3b",
    "label": "Our Llama",
    "base_url": "http://gpu-box.internal:11434",
    "context_window": 32000,
}


async def _models(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(API, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return {m["key"]: m for m in response.json()["items"]}


async def test_the_seeded_catalog_covers_every_provider(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    models = await _models(client, actor.headers)
    providers = {m["provider"] for m in models.values()}
    assert providers == {
        "openai",
        "anthropic",
        "gemini",
        "deepseek",
        "ollama",
        "databricks",
        "demo",
    }
    for key in ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini", "llama3.1"):
        assert key in models
    assert models["llama3.1"]["base_url"] == "http://localhost:11434"
    assert "databricks-meta-llama-3-3-70b-instruct" in models
    demo = models["demo"]
    assert demo == {
        **demo,
        "provider": "demo",
        "label": "Demo (offline)",
        "enabled": True,
        "has_key": True,
        "is_custom": False,
        "overridden": False,
        "kind": "chat",
    }
    gpt = models["gpt-4o"]
    assert gpt["context_window"] == 128000
    assert gpt["input_price_per_mtok"] == 2.5
    assert gpt["output_price_per_mtok"] == 10
    assert gpt["max_output_tokens"] == 16384


async def test_has_key_follows_the_groups_keys(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    before = await _models(client, actor.headers)
    assert {k: before[k]["has_key"] for k in ("gpt-4o", "demo", "llama3.1")} == {
        "gpt-4o": False,
        "demo": True,
        "llama3.1": True,
    }
    assert before["databricks-claude-sonnet-4"]["has_key"] is False
    await add_api_key(client, actor, "openai", "sk-test-0123456789")
    await add_api_key(client, actor, "databricks", "dapi-0123456789")
    after = await _models(client, actor.headers)
    assert after["gpt-4o"]["has_key"] is True
    assert after["o3-mini"]["has_key"] is True
    assert after["databricks-claude-sonnet-4"]["has_key"] is True
    assert after["claude-sonnet-4-5"]["has_key"] is False
    team = await make_group(client, actor)
    in_team = await _models(client, actor.in_group(team))
    assert in_team["gpt-4o"]["has_key"] is False


async def test_the_list_marks_the_model_that_works_first_as_the_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """No key and no local endpoint answering: the offline demo model. Once a provider has a
    key, the first of its chat models in the picker's order."""
    actor = await make_actor(app, client)
    before = await _models(client, actor.headers)
    assert [k for k, m in before.items() if m["is_default"]] == ["demo"]
    await add_api_key(client, actor, "openai", "sk-test-0123456789")
    after = await _models(client, actor.headers)
    defaults = [k for k, m in after.items() if m["is_default"]]
    first_openai = next(
        k for k, m in after.items() if m["provider"] == "openai" and m["kind"] == "chat"
    )
    assert defaults == [first_openai]


async def test_a_group_adds_edits_disables_and_removes_its_own_model(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await client.post(API, json=OLLAMA, headers=actor.headers)
    assert created.status_code == 201, created.text
    assert created.json() == {
        **created.json(),
        **OLLAMA,
        "is_custom": True,
        "enabled": True,
        "has_key": True,
        "kind": "chat",
    }
    url = f"{API}/{OLLAMA['key']}"
    fetched = await client.get(url, headers=actor.headers)
    assert fetched.json() == created.json()
    edited = await client.patch(
        url, json={"default_temperature": 0.2, "label": "Llama small"}, headers=actor.headers
    )
    assert edited.json()["default_temperature"] == 0.2
    assert edited.json()["label"] == "Llama small"
    disabled = await client.patch(url, json={"enabled": False}, headers=actor.headers)
    assert disabled.json()["enabled"] is False
    assert (await _models(client, actor.headers))[OLLAMA["key"]]["enabled"] is False
    switched = await client.patch(
        url, json={"provider": "openai", "model": "gpt-4o"}, headers=actor.headers
    )
    assert switched.json()["has_key"] is False
    removed = await client.delete(url, headers=actor.headers)
    assert removed.status_code == 204
    assert (await client.get(url, headers=actor.headers)).status_code == 404


async def test_a_custom_databricks_endpoint(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    body = {
        "key": "our-endpoint",
        "provider": "databricks",
        "model": "our-finetuned-llm",
        "base_url": "https://adb-123.azuredatabricks.net/serving-endpoints",
    }
    created = await client.post(API, json=body, headers=actor.headers)
    assert created.status_code == 201
    assert created.json()["label"] == "our-finetuned-llm"
    assert created.json()["has_key"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "Has Capitals"}, "key"),
        ({"key": "-leading-dash"}, "key"),
        ({"key": "x" * 101}, "key"),
        ({"key": ""}, "key"),
        ({"provider": "openia"}, "provider"),
        ({"base_url": "ftp://host/models"}, "base_url"),
        ({"base_url": "localhost:11434"}, "base_url"),
        ({"default_temperature": 3}, "default_temperature"),
        ({"context_window": 0}, "context_window"),
        ({"input_price_per_mtok": -1}, "input_price_per_mtok"),
        ({"kind": "vision"}, "kind"),
        ({"model": "  "}, "model"),
    ],
)
async def test_invalid_custom_models_are_refused(
    app: FastAPI, client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(API, json={**OLLAMA, **change}, headers=actor.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert ["body", field] in [d["loc"][:2] for d in error["details"]]


async def test_a_taken_key_is_a_conflict(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for key in ("gpt-4o", OLLAMA["key"]):
        if key == OLLAMA["key"]:
            assert (await client.post(API, json=OLLAMA, headers=actor.headers)).status_code == 201
        response = await client.post(API, json={**OLLAMA, "key": key}, headers=actor.headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "model_key_taken"


async def test_custom_required_fields_cannot_be_emptied(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await client.post(API, json=OLLAMA, headers=actor.headers)
    response = await client.patch(
        f"{API}/{OLLAMA['key']}", json={"model": None}, headers=actor.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_model"


async def test_a_group_override_leaves_other_groups_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    alice = await make_actor(app, client)
    bob = await make_actor(app, client)
    disabled = await client.patch(
        f"{API}/gpt-4o",
        json={"enabled": False, "default_temperature": 0.1, "label": "GPT-4o (ours)"},
        headers=alice.headers,
    )
    assert disabled.status_code == 200
    assert disabled.json() == {
        **disabled.json(),
        "enabled": False,
        "default_temperature": 0.1,
        "label": "GPT-4o (ours)",
        "overridden": True,
        "is_custom": False,
    }
    theirs = (await _models(client, bob.headers))["gpt-4o"]
    assert theirs == {
        **theirs,
        "enabled": True,
        "default_temperature": 0.7,
        "label": "GPT-4o",
        "overridden": False,
    }
    async with app.state.sessionmaker() as session:
        global_row = await session.scalar(select(LLMModel).where(LLMModel.key == "gpt-4o"))
        assert global_row is not None
        assert (global_row.enabled, global_row.label) == (True, "GPT-4o")


async def test_null_returns_an_override_to_the_catalog_value(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    url = f"{API}/gpt-4o-mini"
    await client.patch(url, json={"enabled": False, "label": "Mini"}, headers=actor.headers)
    partly = await client.patch(url, json={"enabled": None}, headers=actor.headers)
    assert partly.json()["enabled"] is True
    assert partly.json()["label"] == "Mini"
    assert partly.json()["overridden"] is True
    fully = await client.patch(url, json={"label": None}, headers=actor.headers)
    assert fully.json()["overridden"] is False
    async with app.state.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(GroupLLMModel))
    assert count == 0


async def test_delete_resets_a_groups_overrides(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    url = f"{API}/gpt-4.1"
    await client.patch(url, json={"enabled": False}, headers=actor.headers)
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    assert (await client.get(url, headers=actor.headers)).json()["enabled"] is True
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
    assert (await client.delete(f"{API}/no-such-model", headers=actor.headers)).status_code == 404


async def test_a_catalog_models_identity_is_fixed_for_groups(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    response = await client.patch(
        f"{API}/gpt-4o", json={"provider": "anthropic"}, headers=actor.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "catalog_model_fixed"
    same = await client.patch(
        f"{API}/gpt-4o", json={"provider": "openai", "enabled": False}, headers=actor.headers
    )
    assert same.status_code == 200


async def test_unknown_model_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for method, body in (("GET", None), ("PATCH", {"enabled": False})):
        response = await client.request(
            method, f"{API}/nope/nothing", json=body, headers=actor.headers
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "model_not_found"


async def test_instance_admins_change_the_global_defaults(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await make_actor(app, client, admin=True)
    user = await make_actor(app, client)
    await client.patch(f"{API}/deepseek-chat", json={"label": "Mine"}, headers=user.headers)
    changed = await client.patch(
        f"{API}/deepseek-chat",
        params={"scope": "global"},
        json={"enabled": False, "input_price_per_mtok": 0.5, "label": "DeepSeek V3"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled"] is False
    seen = (await _models(client, user.headers))["deepseek-chat"]
    assert (seen["enabled"], seen["input_price_per_mtok"], seen["label"]) == (False, 0.5, "Mine")
    added = await client.post(
        API,
        params={"scope": "global"},
        json={"key": "company-llm", "provider": "openai", "model": "gpt-4o-2024-11-20"},
        headers=admin.headers,
    )
    assert added.status_code == 201
    assert "company-llm" in await _models(client, user.headers)
    removed = await client.delete(
        f"{API}/company-llm", params={"scope": "global"}, headers=admin.headers
    )
    assert removed.status_code == 204
    assert "company-llm" not in await _models(client, user.headers)
    seeded = await client.delete(f"{API}/gpt-4o", params={"scope": "global"}, headers=admin.headers)
    assert seeded.status_code == 409
    assert seeded.json()["error"]["code"] == "seeded_model"


async def test_only_instance_admins_use_the_global_scope(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_actor(app, client)  # admin of their own personal group, not of Kasal
    calls = [
        ("PATCH", f"{API}/gpt-4o", {"enabled": False}),
        ("POST", API, {"key": "x", "provider": "openai", "model": "gpt-4o"}),
        ("DELETE", f"{API}/gpt-4o", None),
    ]
    for method, url, body in calls:
        response = await client.request(
            method, url, params={"scope": "global"}, json=body, headers=user.headers
        )
        assert response.status_code == 403, method
        assert response.json()["error"]["code"] == "admin_required"
    bad_scope = await client.get(f"{API}/gpt-4o", headers=user.headers)
    assert bad_scope.json()["enabled"] is True


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
    editor = actors[Role.editor].in_group(team)
    assert (await client.post(API, json=OLLAMA, headers=editor)).status_code == 201
    headers = actors[role].in_group(team)
    assert OLLAMA["key"] in await _models(client, headers)
    refused = [
        ("POST", API, {**OLLAMA, "key": "another"}),
        ("PATCH", f"{API}/gpt-4o", {"enabled": False}),
        ("PATCH", f"{API}/{OLLAMA['key']}", {"enabled": False}),
        ("DELETE", f"{API}/{OLLAMA['key']}", None),
    ]
    for method, url, body in refused:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (role, method, url)
        assert response.json()["error"]["code"] == "insufficient_role"
    models = await _models(client, headers)
    assert models["gpt-4o"]["enabled"] is True
    assert models[OLLAMA["key"]]["enabled"] is True
    assert "another" not in models


async def test_another_groups_custom_model_is_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    await client.post(API, json=OLLAMA, headers=owner.headers)
    url = f"{API}/{OLLAMA['key']}"
    for method, body in (("GET", None), ("PATCH", {"enabled": False}), ("DELETE", None)):
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "model_not_found"
    assert OLLAMA["key"] not in await _models(client, stranger.headers)
    foreign = await client.get(API, headers=stranger.in_group(owner.user.personal_group_id))
    assert foreign.status_code == 404
    assert (await _models(client, owner.headers))[OLLAMA["key"]]["enabled"] is True
    # The stranger may use the same key for a model of their own.
    assert (await client.post(API, json=OLLAMA, headers=stranger.headers)).status_code == 201
