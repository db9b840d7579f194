"""Seeders: idempotent, registered in one place, run at start-up and by `kasal seed`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from typer.testing import CliRunner

from kasal import cli, seeds
from kasal.app import create_app
from kasal.llms.models import LLMModel
from kasal.seeds import models as model_seeds
from kasal.seeds.models import SeedModel, seed_models
from tests.support.app import make_settings


async def _rows(app: FastAPI) -> dict[str, dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        rows = (await session.scalars(select(LLMModel))).all()
        return {
            row.key: {c.key: getattr(row, c.key) for c in LLMModel.__table__.columns}
            for row in rows
        }


async def _seed(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        await seeds.run_all(session, app.state.settings)


def test_the_seed_data_is_valid_and_complete() -> None:
    models = seed_models()
    keys = [m.key for m in models]
    assert len(keys) == len(set(keys))
    assert {m.provider for m in models} == {
        "openai",
        "anthropic",
        "gemini",
        "deepseek",
        "ollama",
        "databricks",
        "demo",
    }
    demo = next(m for m in models if m.key == "demo")
    assert (demo.provider, demo.label) == ("demo", "Demo (offline)")
    assert "kasal.seeds.models" in seeds.SEEDERS


async def test_seeding_twice_changes_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    await _seed(app)
    first = await _rows(app)
    assert set(first) == {m.key for m in seed_models()}
    await _seed(app)
    assert await _rows(app) == first  # updated_at included: not even touched


async def test_changed_seed_data_updates_what_no_admin_changed(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(app)
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(LLMModel).where(LLMModel.key == "gpt-4o"))
        assert row is not None
        row.label = "GPT-4o (admin's name)"  # an admin's edit
        session.add(
            LLMModel(key="house-model", provider="openai", model="m", label="House", enabled=True)
        )
        await session.commit()

    def changed() -> tuple[SeedModel, ...]:
        updates = {"label": "GPT-4o (2025)", "input_price_per_mtok": 2.0, "context_window": 256000}
        new = [m.model_copy(update=updates) if m.key == "gpt-4o" else m for m in seed_models()]
        new.append(SeedModel(key="house-model", provider="demo", model="x", label="Seed"))
        new.append(SeedModel(key="brand-new", provider="openai", model="gpt-5", label="GPT-5"))
        return tuple(new)

    monkeypatch.setattr(model_seeds, "seed_models", changed)
    await _seed(app)
    rows = await _rows(app)
    gpt = rows["gpt-4o"]
    assert gpt["label"] == "GPT-4o (admin's name)"  # the admin's edit wins
    assert (gpt["input_price_per_mtok"], gpt["context_window"]) == (2.0, 256000)
    assert rows["house-model"]["label"] == "House"  # an admin's own model is never touched
    assert rows["house-model"]["seeded_values"] is None
    assert rows["brand-new"]["model"] == "gpt-5"
    again = await _rows(app)
    await _seed(app)
    assert await _rows(app) == again


async def test_kasal_seed_migrates_and_seeds_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    env = {"KASAL_DATABASE_URL": url, "KASAL_DATA_DIR": str(tmp_path)}
    for _ in range(2):
        result = await asyncio.to_thread(lambda: CliRunner().invoke(cli.app, ["seed"], env=env))
        assert result.exit_code == 0, result.output
    app = create_app(make_settings(url, tmp_path))
    async with app.router.lifespan_context(app):
        assert set(await _rows(app)) == {m.key for m in seed_models()}


async def test_the_app_seeds_on_start(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'start.db'}"
    app = create_app(make_settings(url, tmp_path))
    async with app.router.lifespan_context(app):
        assert "demo" in await _rows(app)
