import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from kasal.app import create_app
from kasal.core.db import create_engine, create_sessionmaker
from kasal.health import READY_TIMEOUT_S
from tests.factories import make_actor, make_crew
from tests.support.app import make_settings
from tests.support.database import BACKENDS, throwaway_database


async def test_health_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_migration_head(client: httpx.AsyncClient) -> None:
    from kasal.core.migrate import head_revision

    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "migration": head_revision()}


async def test_info_names_the_database_and_auth_mode(
    client: httpx.AsyncClient, db_url: str
) -> None:
    body = (await client.get("/info")).json()
    assert body["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert body["auth_mode"] == "local"
    assert body["version"]


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/auth/login" in spec["paths"]
    assert (await client.get("/api/docs")).status_code == 200


@asynccontextmanager
async def ready_probe(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose readiness probe asks `database_url`, started without its lifespan (which
    would migrate): only the probe is under test."""
    app = create_app(make_settings(database_url, tmp_path))
    engine = create_engine(database_url)
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as probe:
            yield probe
    finally:
        await engine.dispose()


def _missing_file_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'kasal.db'}"


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(_missing_file_url, id="sqlite-missing-file"),
        pytest.param(lambda _: "postgresql+psycopg://postgres@127.0.0.1:9/kasal", id="pg-refused"),
    ],
)
async def test_ready_says_unreachable_not_pending_when_the_database_is_gone(
    database_url: Callable[[Path], str], tmp_path: Path
) -> None:
    async with ready_probe(database_url(tmp_path), tmp_path) as probe:
        response = await probe.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unreachable"


async def test_ready_gives_up_on_a_database_that_never_answers(tmp_path: Path) -> None:
    """A host that takes the connection and then says nothing: the probe ends on its own."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/kasal"
        async with ready_probe(url, tmp_path) as probe:
            response = await probe.get("/health/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "database_unreachable"
    assert f"no answer within {READY_TIMEOUT_S:g} s" in error["message"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ready_says_migrations_pending_for_an_empty_database(
    backend: str, tmp_path: Path
) -> None:
    with throwaway_database(backend, tmp_path) as url:
        async with ready_probe(url, tmp_path) as probe:
            response = await probe.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "migrations_pending"


async def test_health_answers_while_workers_warm_and_a_run_waits_queued(tmp_path: Path) -> None:
    """Start-up does not wait for the workers (crewai's import and a first crew take seconds):
    `/health` answers, `/health/ready` says the workers are warming, a run is accepted at once
    and starts when a worker is warm. About the process, not the database: SQLite only."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'kasal.db'}", tmp_path, workers=1)
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        assert (await http.get("/health")).status_code == 200
        warming = await http.get("/health/ready")
        assert warming.status_code == 503
        assert warming.json()["error"]["code"] == "workers_warming"
        actor = await make_actor(app, http)
        crew = await make_crew(http, actor)
        body = {"crew_id": crew["id"], "inputs": {"topic": "tides", "audience": "sailors"}}
        posted = await http.post("/api/v1/executions", json=body, headers=actor.headers)
        assert posted.status_code == 202, posted.text
        assert posted.json()["status"] == "queued"
        execution = f"/api/v1/executions/{posted.json()['id']}"
        for _ in range(1200):  # a minute on a busy machine
            status = (await http.get(execution, headers=actor.headers)).json()["status"]
            if status not in ("queued", "running"):
                break
            await asyncio.sleep(0.05)
        assert status == "succeeded"
        assert (await http.get("/health/ready")).status_code == 200
