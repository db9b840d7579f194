"""Database connections: write-only URLs, encrypted at rest, scoped to the group, testable."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.context import Role
from tests.factories import Actor, add_to_group, make_actor, make_group

API = "/api/v1/connections"
PASSWORD = "pa55-W0rd-never-shown"
PG_URL = f"postgresql://reader:{PASSWORD}@db.internal:5432/sales"
MASKED = "postgresql://reader:***@db.internal:5432/sales"


async def _add(
    client: httpx.AsyncClient, actor: Actor, name: str = "sales", url: str = PG_URL, **more: Any
) -> dict[str, Any]:
    response = await client.post(
        API, json={"name": name, "url": url, **more}, headers=actor.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _stored(app: FastAPI) -> list[tuple[str, str, str]]:
    async with app.state.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT name, url_encrypted, url_masked FROM db_connections ORDER BY name")
        )
        return [(row[0], row[1], row[2]) for row in rows]


async def test_the_url_is_stored_encrypted_and_shown_masked(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    actor = await make_actor(app, client)
    created = await _add(client, actor, description="The sales replica")
    assert set(created) == {
        "id", "name", "dialect", "url", "has_password", "description", "created_at", "updated_at"
    }  # fmt: skip
    assert (created["dialect"], created["url"], created["has_password"]) == (
        "postgresql",
        MASKED,
        True,
    )
    url = f"{API}/{created['id']}"
    responses = [
        await client.get(API, headers=actor.headers),
        await client.get(url, headers=actor.headers),
        await client.patch(url, json={"description": "renamed"}, headers=actor.headers),
        await client.post(f"{url}/test", headers=actor.headers),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert PASSWORD not in response.text
    assert responses[0].json()["items"][0]["url"] == MASKED
    [(name, stored, masked)] = await _stored(app)
    assert (name, masked) == ("sales", MASKED)
    assert PASSWORD not in stored
    assert crypto.current().decrypt(stored) == PG_URL.replace("postgresql:", "postgresql+psycopg:")
    assert PASSWORD not in caplog.text


async def test_a_password_given_apart_and_kept_when_the_url_is_sent_back_masked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await _add(
        client, actor, url="mysql://reader@db.internal/sales?charset=utf8mb4", password=PASSWORD
    )
    assert created["url"] == "mysql://reader:***@db.internal/sales?charset=utf8mb4"
    url = f"{API}/{created['id']}"
    moved = created["url"].replace("db.internal", "db2.internal")
    edited = await client.patch(url, json={"url": moved}, headers=actor.headers)
    assert edited.json()["url"] == moved
    [(_, stored, _)] = await _stored(app)
    assert f"reader:{PASSWORD}@db2.internal" in crypto.current().decrypt(stored)

    cleared = await client.patch(url, json={"password": ""}, headers=actor.headers)
    assert cleared.json()["has_password"] is False
    assert cleared.json()["url"] == "mysql://reader@db2.internal/sales?charset=utf8mb4"


async def test_credentials_in_the_query_string_are_masked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await _add(
        client, actor, url=f"postgresql://db.internal/sales?user=reader&password={PASSWORD}"
    )
    assert PASSWORD not in created["url"]
    assert "user=reader" in created["url"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "not a database URL"),
        ("oracle://scott:tiger@host/orcl", "'oracle' is not supported"),
        ("postgresql+asyncpg://host/db", "driver 'asyncpg' is not available"),
        ("sqlite:///relative/shop.db", "is relative"),
        ("sqlite://", "absolute path"),
        ("sqlite:////srv/data/shop.db?mode=rwc", "no host, user, password or options"),
    ],
)
async def test_bad_urls_are_refused_in_plain_words(
    app: FastAPI, client: httpx.AsyncClient, url: str, words: str
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(API, json={"name": "x", "url": url}, headers=actor.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_connection_url"
    assert words in error["message"]
    assert await _stored(app) == []


async def test_a_refused_url_is_never_echoed(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    response = await client.post(
        API, json={"name": "x", "url": f"oracle://scott:{PASSWORD}@h/o"}, headers=actor.headers
    )
    assert response.status_code == 422
    assert PASSWORD not in response.text


async def test_a_sqlite_file_in_the_data_dir_is_refused(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    actor = await make_actor(app, client)
    own = settings.data_dir.resolve() / "kasal.db"
    response = await client.post(
        API, json={"name": "mine", "url": f"sqlite:///{own}"}, headers=actor.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "connection_path_forbidden"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Sales", "url": PG_URL}, "name"),
        ({"name": "a b", "url": PG_URL}, "name"),
        ({"name": "sales", "url": ""}, "url"),
        ({"name": "sales"}, "url"),
        ({"name": "sales", "url": PG_URL, "description": "x" * 2001}, "description"),
    ],
)
async def test_invalid_bodies_are_refused_in_the_error_shape(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(API, json=body, headers=actor.headers)
    assert response.status_code == 422
    assert ["body", field] in [d["loc"][:2] for d in response.json()["error"]["details"]]
    assert PASSWORD not in response.text


async def test_names_are_unique_per_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    first = await _add(client, actor)
    again = await client.post(API, json={"name": "sales", "url": PG_URL}, headers=actor.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "connection_name_taken"
    other = await _add(client, actor, name="other")
    renamed = await client.patch(
        f"{API}/{other['id']}", json={"name": "sales"}, headers=actor.headers
    )
    assert renamed.status_code == 409
    team = await make_group(client, actor)
    elsewhere = await client.post(
        API, json={"name": "sales", "url": PG_URL}, headers=actor.in_group(team)
    )
    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first["id"]


async def test_another_groups_connection_is_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    created = await _add(client, owner)
    url = f"{API}/{created['id']}"
    for method, path, body in (
        ("GET", url, None),
        ("PATCH", url, {"url": "sqlite:////srv/data/hijack.db"}),
        ("POST", f"{url}/test", None),
        ("DELETE", url, None),
    ):
        response = await client.request(method, path, json=body, headers=stranger.headers)
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "connection_not_found"
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    [(_, stored, _)] = await _stored(app)
    assert crypto.current().decrypt(stored).endswith("@db.internal:5432/sales")


async def test_viewers_read_editors_change(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    viewer, editor = await make_actor(app, client), await make_actor(app, client)
    await add_to_group(app, team, viewer.user, Role.viewer)
    await add_to_group(app, team, editor.user, Role.editor)
    created = await client.post(
        API, json={"name": "sales", "url": PG_URL}, headers=editor.in_group(team)
    )
    assert created.status_code == 201
    url = f"{API}/{created.json()['id']}"
    assert (await client.get(url, headers=viewer.in_group(team))).status_code == 200
    for method, path, body in (
        ("POST", API, {"name": "x", "url": PG_URL}),
        ("PATCH", url, {"description": "x"}),
        ("POST", f"{url}/test", None),
        ("DELETE", url, None),
    ):
        response = await client.request(method, path, json=body, headers=viewer.in_group(team))
        assert response.status_code == 403, (method, path)
    deleted = await client.delete(url, headers=editor.in_group(team))
    assert deleted.status_code == 204
    assert (await client.get(url, headers=editor.in_group(team))).status_code == 404


async def test_testing_a_connection_answers_the_server_version(
    app: FastAPI, client: httpx.AsyncClient, shop: str
) -> None:
    actor = await make_actor(app, client)
    created = await _add(client, actor, url=shop)
    response = await client.post(f"{API}/{created['id']}/test", headers=actor.headers)
    assert response.status_code == 200
    checked = response.json()
    assert checked["ok"] is True, checked
    assert checked["error"] is None
    assert checked["server_version"].split()[0] in ("SQLite", "PostgreSQL")


async def test_a_failed_test_says_why_without_the_password(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    actor = await make_actor(app, client)
    refused = await _add(client, actor, url=f"postgresql://reader:{PASSWORD}@127.0.0.1:1/sales")
    missing = await _add(client, actor, name="gone", url=f"sqlite:///{tmp_path / 'gone.db'}")
    for created in (refused, missing):
        response = await client.post(f"{API}/{created['id']}/test", headers=actor.headers)
        assert response.status_code == 200
        checked = response.json()
        assert checked["ok"] is False
        assert checked["server_version"] is None
        assert checked["error"].startswith("Cannot connect to the database: ")
        assert PASSWORD not in response.text
    assert not (tmp_path / "gone.db").exists()
