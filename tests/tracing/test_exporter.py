"""The exporter of several API processes at once: each run is sent once, and a claim that
ran out (its process died mid-export) is taken over."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from kasal.core.db import utcnow
from kasal.executions.models import Execution, Status
from kasal.tracing.exporter import TraceExporter
from kasal.tracing.models import ExportStatus, TraceExport
from tests.factories import make_actor
from tests.support.app import make_settings
from tests.support.mlflow_server import mlflow_server


async def _finished_run(app: FastAPI, group_id: uuid.UUID) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        now = utcnow()
        execution = Execution(
            group_id=group_id,
            crew_name="Nightly report",
            crew_version=1,
            spec={},
            inputs={"day": "Monday"},
            status=Status.succeeded,
            result="All quiet.",
            started_at=now - timedelta(seconds=2),
            finished_at=now,
        )
        session.add(execution)
        await session.commit()
        return execution.id


async def _export(app: FastAPI, execution_id: uuid.UUID) -> TraceExport:
    async with app.state.sessionmaker() as session:
        row = await session.scalar(
            select(TraceExport).where(TraceExport.execution_id == execution_id)
        )
        assert row is not None
        return row


async def test_two_processes_export_a_run_once_and_a_lapsed_claim_is_taken_over(
    app: FastAPI, client: httpx.AsyncClient, db_url: str
) -> None:
    actor = await make_actor(app, client)
    original = app.state.settings
    with mlflow_server() as mlflow:
        settings = make_settings(db_url, original.data_dir, mlflow_tracking_uri=mlflow.url)
        app.state.settings = settings  # the in-process API: tracing can be enabled
        try:
            body = {"enabled": True, "experiment_name": f"/Shared/{uuid.uuid4().hex}"}
            response = await client.put("/api/v1/tracing", json=body, headers=actor.headers)
            assert response.status_code == 200, response.text
            run = await _finished_run(app, actor.user.personal_group_id)
            first, second = (TraceExporter(settings, app.state.sessionmaker) for _ in range(2))

            await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
            once = await _export(app, run)
            starts = [r for r in mlflow.requests if r.path == "/api/3.0/mlflow/traces"]

            # A process that died while exporting: its claim lapses, another takes it over.
            async with app.state.sessionmaker() as session:
                await session.execute(
                    update(TraceExport)
                    .where(TraceExport.execution_id == run)
                    .values(status=ExportStatus.exporting, claimed_until=utcnow())
                )
                await session.commit()
            await second.run_once()
            again = await _export(app, run)
        finally:
            app.state.settings = original

    assert once.status == ExportStatus.exported
    assert once.attempts == 1
    assert len(starts) == 1
    assert again.status == ExportStatus.exported
    assert again.attempts == 2
    assert again.trace_id == once.trace_id  # the same trace, written again, not a second
    assert len(mlflow.traces) == 1
