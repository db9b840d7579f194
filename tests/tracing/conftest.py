"""A live Kasal server whose tracking server is the local MLflow-compatible one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.factories import Actor
from tests.support.mlflow_server import MlflowServer, mlflow_server
from tests.support.server import LiveServer, live_settings

EXPERIMENT = "/Shared/kasal-runs"


@pytest.fixture(scope="module")
def mlflow() -> Iterator[MlflowServer]:
    with mlflow_server() as server:
        yield server


@pytest.fixture(scope="module")
def traced_live(
    db_url: str, tmp_path_factory: pytest.TempPathFactory, mlflow: MlflowServer
) -> Iterator[LiveServer]:
    settings = live_settings(
        db_url,
        tmp_path_factory.mktemp("live-tracing"),
        mlflow_tracking_uri=mlflow.url,
        mlflow_tracking_token="tracking-token-1234",
        trace_export_interval_s=0.1,
    )
    with LiveServer(settings) as server:
        yield server


async def enable(
    http: httpx.AsyncClient, actor: Actor, experiment: str = EXPERIMENT
) -> dict[str, Any]:
    body = {"enabled": True, "experiment_name": experiment}
    response = await http.put("/api/v1/tracing", json=body, headers=actor.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def export_settled(
    http: httpx.AsyncClient, actor: Actor, execution_id: str, statuses: set[str]
) -> dict[str, Any]:
    """The run's export once it is in one of `statuses`."""
    async with asyncio.timeout(60):
        while True:
            response = await http.get(
                f"/api/v1/tracing/executions/{execution_id}", headers=actor.headers
            )
            export = response.json()["export"]
            if export is not None and export["status"] in statuses:
                body: dict[str, Any] = export
                return body
            await asyncio.sleep(0.1)
