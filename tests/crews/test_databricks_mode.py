"""Databricks Apps mode: the forwarded user token is the key of Databricks models."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.auth.repository import UserRepository
from kasal.core.config import Settings
from kasal.core.context import GroupContext, Role
from kasal.core.errors import InvalidInput
from kasal.crews import service
from tests.factories import crew_document
from tests.support.app import make_settings
from tests.support.database import reset_database

MODEL = "databricks-claude-sonnet-4"


@pytest.fixture
async def databricks_app(settings: Settings, tmp_path: Path) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(settings.db_url, tmp_path, auth_mode="databricks"))
    async with app.router.lifespan_context(app):
        yield app
        await reset_database(app)


async def test_a_crew_on_a_databricks_model_is_valid_with_the_forwarded_token(
    app: FastAPI, databricks_app: FastAPI
) -> None:
    headers = {"X-Forwarded-Email": "ana@corp.example", "X-Forwarded-Access-Token": "dapi-obo"}
    document = crew_document("On Databricks")
    for agent in document["agents"]:
        agent["llm"] = MODEL
    transport = httpx.ASGITransport(app=databricks_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/api/v1/crews", json=document, headers=headers)
        assert created.status_code == 201, created.text
        assert created.json()["problems"] == []
        crew_id = uuid.UUID(created.json()["id"])
    async with databricks_app.state.sessionmaker() as session:
        user = await UserRepository(session).by_email("ana@corp.example")
        assert user is not None
        ctx = GroupContext(user_id=user.id, group_id=user.personal_group_id, role=Role.admin)
        snapshot = await service.snapshot_for_run(
            session, ctx, crew_id, databricks_token="dapi-obo"
        )
        assert snapshot.model_keys == [MODEL]
        with pytest.raises(InvalidInput) as caught:
            await service.snapshot_for_run(session, ctx, crew_id)
    assert {d["code"] for d in caught.value.details} == {"missing_api_key"}
