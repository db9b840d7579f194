"""Tracing to the Databricks workspace (`databricks` tracking URI, the default in an App):
a traced run becomes one trace in the workspace's experiment, exported after the run as the
app's service principal (mlflow's Databricks resolution through databricks-sdk: an OAuth
machine-to-machine token), its spans uploaded to the presigned URL the workspace hands out."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.executions.support import create_crew, start, two_step_crew, use_scripted_model, wait_for
from tests.factories import make_actor
from tests.support.fake_workspace import bearer, fake_workspace
from tests.support.llm_server import ScriptedLLMServer, text
from tests.support.server import LiveServer, live_settings
from tests.tracing.conftest import enable, export_settled

CLIENT_ID = "7a2c-app-principal"
CLIENT_SECRET = "dose-tracing-principal-secret-2718281828"


async def test_a_traced_run_is_exported_to_the_workspace_as_the_service_principal(
    app: FastAPI,
    client: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    actor = await make_actor(app, client)
    experiment = f"/Shared/kasal-{uuid.uuid4().hex}"
    with fake_workspace(clients={CLIENT_ID: CLIENT_SECRET}) as workspace:
        # The platform's variables of an App, which mlflow's Databricks resolution reads.
        monkeypatch.setenv("DATABRICKS_HOST", workspace.url)
        monkeypatch.setenv("DATABRICKS_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", CLIENT_SECRET)
        settings = live_settings(
            db_url, tmp_path, mlflow_tracking_uri="databricks", trace_export_interval_s=0.1
        )
        with LiveServer(settings) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                enabled = await enable(http, actor, experiment)
                model = await use_scripted_model(http, actor, llm_server)
                crew_id = await create_crew(http, actor, two_step_crew(model))
                llm_server.script(text("Tides follow the moon."), text("A brief about tides."))
                done = await wait_for(http, actor, (await start(http, actor, crew_id))["id"])
                export = await export_settled(http, actor, done["id"], {"exported", "failed"})

    assert enabled["destination"] == "databricks"
    assert done["status"] == "succeeded", done
    assert export["status"] == "exported", export
    [trace] = workspace.mlflow.traces_in(experiment)
    assert trace.info["trace_id"] == export["trace_id"]
    assert trace.info["client_request_id"] == done["id"]
    names = [span["name"] for span in trace.spans]
    assert names[0] == "Research brief"
    assert {"Research", "Write", "Researcher", "Writer"} <= set(names)
    calls = [r for r in workspace.requests if r.path.startswith("/api/")]
    assert calls
    tokens = {bearer(r) for r in calls}
    assert {workspace.issued.get(t or "") for t in tokens} == {CLIENT_ID}  # the principal's
    uploads = [r for r in workspace.requests if r.path.startswith("/presigned-upload/")]
    assert len(uploads) == 1
    assert bearer(uploads[0]) is None  # a presigned URL carries no workspace token
    assert all(CLIENT_SECRET.encode() not in r.body for r in workspace.requests)
