"""OpenAPI sources: registered by upload or URL, checked, write-only secrets, group-scoped."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import text

from kasal.core import crypto
from kasal.core.context import Role
from kasal.core.crypto import SecretBox, generate_key
from kasal.secrets import service as secrets
from tests.factories import Actor, add_to_group, crew_document, make_actor, make_group
from tests.support.pet_api import DOCUMENT, OPERATIONS, PetApi, pet_api

API = "/api/v1/openapi-sources"
SECRET = "pets-SECRET-0123456789"


@pytest.fixture(scope="module")
def module_api() -> Iterator[PetApi]:
    with pet_api() as running:
        yield running


@pytest.fixture
def api(module_api: PetApi) -> PetApi:
    module_api.received.clear()
    return module_api


@pytest.fixture
def private_urls_allowed(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local API plays a public one: the operator allows private addresses."""
    monkeypatch.setattr(app.state.settings, "tools_http_allow_private", True)


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "pets",
        "document": DOCUMENT,
        "base_url": "https://pets.example.com/v1",
    }
    body.update(overrides)
    return body


async def _register(client: httpx.AsyncClient, actor: Actor, **overrides: Any) -> dict[str, Any]:
    response = await client.post(API, json=_body(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _stored_secrets(app: FastAPI) -> list[str | None]:
    async with app.state.engine.connect() as connection:
        rows = await connection.execute(text("SELECT secret_encrypted FROM openapi_sources"))
        return [row[0] for row in rows]


async def _stored_secret(app: FastAPI) -> str | None:
    [secret] = await _stored_secrets(app)
    return secret


async def test_an_uploaded_document_becomes_a_source_of_tools(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    auth = {"type": "bearer", "secret": SECRET}
    created = await _register(client, actor, auth=auth)
    assert created["title"] == "Pet store"
    assert created["doc_version"] == "1.2.0"
    assert created["base_url"] == "https://pets.example.com/v1"
    assert created["source_url"] is None
    assert created["operation_count"] == 3
    assert created["auth"] == {"type": "bearer", "location": None, "name": None, "has_secret": True}
    tools = await client.get(f"{API}/{created['id']}/tools", headers=actor.headers)
    by_name = {t["name"]: t for t in tools.json()["items"]}
    assert set(by_name) == set(OPERATIONS)
    get_pet = by_name["getPet"]
    assert get_pet["tool_id"] == "openapi:pets/getPet"
    assert (get_pet["method"], get_pet["path"]) == ("GET", "/pets/{petId}")
    assert [(p["name"], p["location"], p["required"]) for p in get_pet["parameters"]] == [
        ("petId", "path", True),
        ("X-Trace-Id", "header", False),
    ]
    assert by_name["createPet"]["body_schema"]["required"] == ["name"]
    responses = [
        tools,
        await client.get(API, headers=actor.headers),
        await client.get(f"{API}/{created['id']}", headers=actor.headers),
        await client.patch(
            f"{API}/{created['id']}", json={"enabled": False}, headers=actor.headers
        ),
    ]
    for response in responses:
        assert response.status_code == 200
        assert SECRET not in response.text
    stored = await _stored_secret(app)
    assert stored is not None
    assert SECRET not in stored
    assert crypto.current().decrypt(stored) == SECRET


async def test_a_yaml_text_is_read_and_a_relative_server_needs_a_base_url(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    body = {"name": "pets", "document": yaml.safe_dump(DOCUMENT)}
    relative = await client.post(API, json=body, headers=actor.headers)
    assert relative.status_code == 422
    assert relative.json()["error"]["code"] == "openapi_base_url_invalid"
    assert "'/v1'" in relative.json()["error"]["message"]
    created = await _register(client, actor, document=yaml.safe_dump(DOCUMENT))
    assert created["operation_count"] == 3


@pytest.mark.usefixtures("private_urls_allowed")
@pytest.mark.parametrize("path", ["/openapi.json", "/openapi.yaml"])
async def test_a_document_is_fetched_once_from_its_url(
    app: FastAPI, client: httpx.AsyncClient, api: PetApi, path: str
) -> None:
    actor = await make_actor(app, client)
    body = {"name": "pets", "url": f"{api.url}{path}"}
    created = await client.post(API, json=body, headers=actor.headers)
    assert created.status_code == 201, created.text
    assert created.json()["source_url"] == f"{api.url}{path}"
    assert created.json()["base_url"] == f"{api.url}/v1"  # the relative server, resolved
    assert [r.path for r in api.received] == [path]


async def test_a_url_on_a_private_address_is_refused_by_default(
    app: FastAPI, client: httpx.AsyncClient, api: PetApi
) -> None:
    actor = await make_actor(app, client)
    body = {"name": "pets", "url": f"{api.url}/openapi.json"}
    refused = await client.post(API, json=body, headers=actor.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "openapi_fetch_failed"
    assert "loopback" in refused.json()["error"]["message"]
    assert not api.received


@pytest.mark.usefixtures("private_urls_allowed")
async def test_a_url_that_does_not_answer_a_document(
    app: FastAPI, client: httpx.AsyncClient, api: PetApi
) -> None:
    actor = await make_actor(app, client)
    missing = await client.post(
        API, json={"name": "pets", "url": f"{api.url}/nothing"}, headers=actor.headers
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["message"].endswith("answered HTTP 404 Not Found.")


def _without_operations() -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    multipart = {"content": {"multipart/form-data": {"schema": {}}}, "required": True}
    document["paths"] = {"/upload": {"post": {"requestBody": multipart}}}
    return document


def _with_ref(ref: str) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    document["paths"]["/pets"]["get"]["parameters"][1] = {"$ref": ref}
    return document


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"swagger": "2.0", "paths": {}}, "Swagger 2.0"),
        ({"openapi": "2.0", "paths": {}}, "Not an OpenAPI 3 document"),
        ({"openapi": "3.0.0", "info": {}}, "no `paths` object"),
        (_without_operations(), "no operation a tool can call"),
        (_with_ref("#/components/parameters/Missing"), "Unresolvable $ref"),
        (_with_ref("common.yaml#/Tag"), "only references within the document"),
        ("openapi: [3.0\n  paths: {", "neither JSON nor YAML"),
        ("- just\n- a list\n", "not a JSON or YAML object"),
    ],
)
async def test_an_unusable_document_is_refused_saying_why(
    app: FastAPI, client: httpx.AsyncClient, document: Any, says: str
) -> None:
    actor = await make_actor(app, client)
    refused = await client.post(API, json=_body(document=document), headers=actor.headers)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "openapi_document_invalid"
    assert says in error["message"]


async def test_an_unresolvable_ref_is_located(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    document = _with_ref("#/components/parameters/Missing")
    refused = await client.post(API, json=_body(document=document), headers=actor.headers)
    assert refused.json()["error"]["details"] == [{"pointer": "/paths/~1pets/get/parameters/1"}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_body(name="no/slash"), "validation_error"),
        (_body(url="https://example.com/openapi.json"), "validation_error"),
        (_body(document=None), "validation_error"),
        (_body(auth={"type": "api_key", "secret": SECRET}), "validation_error"),
        (
            _body(auth={"type": "bearer", "location": "header", "secret": SECRET}),
            "validation_error",
        ),
        (
            _body(auth={"type": "api_key", "location": "header", "name": "X-Key"}),
            "openapi_secret_missing",
        ),
        (_body(auth={"type": "bearer"}), "openapi_secret_missing"),
        (_body(timeout_s=0), "validation_error"),
    ],
)
async def test_invalid_registrations(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    actor = await make_actor(app, client)
    refused = await client.post(API, json=body, headers=actor.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code


async def test_names_are_unique_per_group_ignoring_case(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await _register(client, actor)
    again = await client.post(API, json=_body(name="PETS"), headers=actor.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "openapi_source_exists"
    team = await make_group(client, actor)
    elsewhere = await client.post(API, json=_body(), headers=actor.in_group(team))
    assert elsewhere.status_code == 201


async def test_changing_the_auth_keeps_or_drops_the_secret(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    auth = {"type": "api_key", "location": "header", "name": "X-Key", "secret": SECRET}
    source = await _register(client, actor, auth=auth)
    url = f"{API}/{source['id']}"
    moved = {"type": "api_key", "location": "query", "name": "key"}
    changed = await client.patch(url, json={"auth": moved}, headers=actor.headers)
    assert changed.json()["auth"] == {**moved, "has_secret": True}
    assert crypto.current().decrypt(str(await _stored_secret(app))) == SECRET
    dropped = await client.patch(url, json={"auth": {"type": "none"}}, headers=actor.headers)
    assert dropped.json()["auth"]["has_secret"] is False
    assert await _stored_secret(app) is None


async def test_a_new_document_replaces_the_operations(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    source = await _register(client, actor)
    document = copy.deepcopy(DOCUMENT)
    del document["paths"]["/pets"]
    changed = await client.patch(
        f"{API}/{source['id']}", json={"document": json.dumps(document)}, headers=actor.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["operation_count"] == 1
    assert changed.json()["base_url"] == source["base_url"]


@pytest.mark.parametrize("role", [Role.operator, Role.viewer])
async def test_readers_do_not_change_sources(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    source = await _register(client, Actor(owner.user, owner.in_group(team)))
    reader = await make_actor(app, client)
    await add_to_group(app, team, reader.user, role)
    headers = reader.in_group(team)
    assert (await client.get(f"{API}/{source['id']}/tools", headers=headers)).status_code == 200
    assert (await client.post(API, json=_body(name="x"), headers=headers)).status_code == 403
    assert (await client.delete(f"{API}/{source['id']}", headers=headers)).status_code == 403


async def _problems(client: httpx.AsyncClient, actor: Actor, tool_id: str) -> list[dict[str, Any]]:
    document = crew_document()
    document["agents"][0]["tools"] = [{"tool_id": tool_id}]
    response = await client.post("/api/v1/crews", json=document, headers=actor.headers)
    assert response.status_code == 201, response.text
    return [p for p in response.json()["problems"] if p["pointer"].endswith("/tools/0/tool_id")]


async def test_crews_name_the_operations_of_their_group_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    source = await _register(client, owner)
    assert await _problems(client, owner, "openapi:pets") == []
    assert await _problems(client, owner, "openapi:pets/getPet") == []
    [unknown_operation] = await _problems(client, owner, "openapi:pets/deletePet")
    assert unknown_operation["code"] == "unknown_source_tool"
    assert "getPet" in unknown_operation["message"]
    await client.patch(f"{API}/{source['id']}", json={"enabled": False}, headers=owner.headers)
    [disabled] = await _problems(client, owner, "openapi:pets")
    assert disabled["code"] == "tool_source_disabled"

    stranger = await make_actor(app, client)
    for response in (
        await client.get(f"{API}/{source['id']}", headers=stranger.headers),
        await client.get(f"{API}/{source['id']}/tools", headers=stranger.headers),
        await client.patch(
            f"{API}/{source['id']}", json={"enabled": True}, headers=stranger.headers
        ),
        await client.delete(f"{API}/{source['id']}", headers=stranger.headers),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "openapi_source_not_found"
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    [unknown] = await _problems(client, stranger, "openapi:pets/getPet")
    assert unknown["code"] == "unknown_tool_source"


async def test_key_rotation_reencrypts_source_secrets(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await _register(client, actor, name="open")  # no secret: a NULL that rotation skips
    await _register(client, actor, auth={"type": "bearer", "secret": SECRET})
    new_key = generate_key()
    async with app.state.sessionmaker() as session:
        assert await secrets.reencrypt_all(session, crypto.current().with_primary(new_key)) == 1
    stored = await _stored_secrets(app)
    assert [SecretBox([new_key]).decrypt(token) for token in stored if token] == [SECRET]


async def test_yaml_values_json_cannot_hold_are_kept_as_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A date example, a NaN and a number as operationId would each fail a JSON column."""
    document = (
        "openapi: 3.0.0\n"
        "paths:\n"
        "  /events:\n"
        "    get:\n"
        "      operationId: 42\n"
        "      summary: null\n"
        "      parameters:\n"
        "        - name: since\n"
        "          in: query\n"
        "          schema: {type: string, format: date, example: 2024-01-01, maximum: .nan}\n"
    )
    source = await _register(client, actor := await make_actor(app, client), document=document)
    tools = await client.get(f"{API}/{source['id']}/tools", headers=actor.headers)
    [tool] = tools.json()["items"]
    assert (tool["name"], tool["summary"]) == ("42", "")
    schema = tool["parameters"][0]["json_schema"]
    assert (schema["example"], schema["maximum"]) == ("2024-01-01", "nan")
