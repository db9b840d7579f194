"""Databricks Apps mode: the forwarded user token serves Databricks models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from tests.support.app import make_settings
from tests.support.database import reset_database


@pytest.fixture
async def databricks_client(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(settings.db_url, tmp_path, auth_mode="databricks"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
        await reset_database(app)


async def test_forwarded_token_makes_databricks_models_usable(
    app: FastAPI, databricks_client: httpx.AsyncClient
) -> None:
    headers = {"X-Forwarded-Email": "ana@corp.example", "X-Forwarded-Access-Token": "dapi-obo"}
    response = await databricks_client.get("/api/v1/models", headers=headers)
    assert response.status_code == 200
    models = {m["key"]: m for m in response.json()["items"]}
    assert models["databricks-claude-sonnet-4"]["has_key"] is True
    assert models["gpt-4o"]["has_key"] is False
    assert "dapi-obo" not in response.text
