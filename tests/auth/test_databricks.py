"""Databricks Apps mode trusts the platform's forwarded identity; local mode ignores it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kasal.app import create_app
from kasal.auth.deps import CurrentUser, DatabricksToken
from kasal.core.config import Settings
from kasal.core.db import Base
from kasal.models import load_all
from tests.factories import make_actor
from tests.support.app import make_settings
from tests.support.database import reset_database

OBO_TOKEN = "dapi-on-behalf-of-0123456789"


@pytest.fixture
async def databricks_client(
    settings: Settings, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    databricks = make_settings(
        settings.db_url,
        tmp_path,
        auth_mode="databricks",
        admin_emails="boss@corp.example, Chief@corp.example",
    )
    app = create_app(databricks)

    @app.get("/probe/obo")
    async def probe(user: CurrentUser, token: DatabricksToken) -> dict[str, str | None]:
        return {"email": user.email, "token": token}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, http
        await reset_database(app)


def forwarded(email: str) -> dict[str, str]:
    return {"X-Forwarded-Email": email, "X-Forwarded-Access-Token": OBO_TOKEN}


async def test_forwarded_user_is_provisioned_once(
    databricks_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = databricks_client
    first = await client.get("/api/v1/users/me", headers=forwarded("Ana@Corp.example"))
    assert first.status_code == 200
    assert first.json()["email"] == "ana@corp.example"
    assert first.json()["is_admin"] is False
    second = await client.get("/api/v1/users/me", headers=forwarded("ana@corp.example"))
    assert second.json()["id"] == first.json()["id"]
    groups = await client.get("/api/v1/groups", headers=forwarded("ana@corp.example"))
    assert [g["is_personal"] for g in groups.json()["items"]] == [True]


async def test_admins_come_from_kasal_admin_emails(
    databricks_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = databricks_client
    for email in ("boss@corp.example", "chief@corp.example"):
        me = await client.get("/api/v1/users/me", headers=forwarded(email))
        assert me.json()["is_admin"] is True, email


async def test_obo_token_reaches_the_request_and_is_never_stored(
    databricks_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = databricks_client
    probe = await client.get("/probe/obo", headers=forwarded("ana@corp.example"))
    assert probe.json() == {"email": "ana@corp.example", "token": OBO_TOKEN}
    load_all()
    async with app.state.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            query = text(f"SELECT * FROM {table.name}")  # noqa: S608 (our own table names)
            rows = (await connection.execute(query)).all()
            assert OBO_TOKEN not in repr(rows), table.name


async def test_without_forwarded_headers_bearer_tokens_still_work(
    databricks_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, client = databricks_client
    actor = await make_actor(app, client)
    assert (await client.get("/api/v1/users/me", headers=actor.headers)).status_code == 200
    assert (await client.get("/api/v1/users/me")).status_code == 401


async def test_local_mode_ignores_forwarded_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/users/me", headers=forwarded("boss@corp.example"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
