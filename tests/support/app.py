"""The application under test, once per database backend, over real HTTP semantics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from tests.support.database import BACKENDS, postgres_skipped, reset_database, throwaway_database

TEST_JWT_SECRET = "test-secret-" + "x" * 40


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": TEST_JWT_SECRET,
        "argon2_memory_kib": 32,  # hashing cost is not what these tests are about
        "admin_password": "admin-password",
        "frontend_dir": data_dir / "no-frontend",
        "workers": 0,  # no worker processes unless a test asks for them
        # No scheduler or webhook sender in the background: tests call their steps.
        "scheduler_tick_s": 0,
        "webhook_poll_s": 0,
        "approval_tick_s": 0,
        "rate_limit": "off",  # suites send hundreds of requests a minute; tests/core tests it
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with throwaway_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


@pytest.fixture(scope="session")
def settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(db_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await reset_database(app)
    app.state.login_limiter.reset()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if postgres_skipped:
        terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
        terminalreporter.write_line(postgres_skipped[0])
        terminalreporter.write_line("Set KASAL_TEST_POSTGRES_URL or start PostgreSQL.")
