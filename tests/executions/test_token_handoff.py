"""A run claimed by a `kasal worker` process gets the signed-in user's Databricks token
through the encrypted, short-lived hand-off (procrastinate backend, PostgreSQL): the worker's
workspace calls carry the user's token, the loan is gone once the run is claimed, the token
is in no event, answer or log line, and a loan that expired in the queue fails the run with
a clear error."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.executions.support import two_step_crew
from tests.support.cluster import Cluster, Process
from tests.support.database import throwaway_database
from tests.support.fake_workspace import FakeWorkspace, bearer, fake_workspace
from tests.support.llm_server import ScriptedLLMServer, text, tool_call

pytestmark = pytest.mark.timeout(600)

USER_TOKEN = "dapi-handoff-forwarded-user-token-1414213562"
TTL_S = 8
HEADERS = {"X-Forwarded-Email": "ana@corp.example", "X-Forwarded-Access-Token": USER_TOKEN}
FINISHED = {"succeeded", "failed", "cancelled", "interrupted"}


@dataclass
class Deployment:
    cluster: Cluster
    api: Process
    worker: Process
    workspace: FakeWorkspace
    crew_id: str


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, _llm_server_session: ScriptedLLMServer
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("handoff")
    with (
        fake_workspace(USER_TOKEN) as workspace,
        throwaway_database("postgresql", root) as db_url,
        Cluster(
            db_url, root, auth_mode="databricks", token_handoff_ttl_s=str(TTL_S), log_level="INFO"
        ) as cluster,
    ):
        cluster.env["DATABRICKS_HOST"] = workspace.url
        api = cluster.api("api")
        worker = cluster.worker("worker")
        cluster.wait_workers(1)
        yield Deployment(cluster, api, worker, workspace, _crew(api, _llm_server_session))


def _crew(api: Process, llm: ScriptedLLMServer) -> str:
    with httpx.Client(base_url=api.url, headers=HEADERS) as http:
        model = {
            "key": "scripted",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "base_url": llm.base_url,
        }
        key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
        for path, body in (("models", model), ("api-keys", key)):
            answer = http.post(f"/api/v1/{path}", json=body)
            assert answer.is_success, answer.text
        tools = [{"tool_id": "databricks_genie", "config": {"space_id": "01ef0000sales0space"}}]
        crew = http.post("/api/v1/crews", json=two_step_crew("scripted", tools=tools))
        assert crew.status_code == 201, crew.text
        assert crew.json()["problems"] == []
        return str(crew.json()["id"])


def _start(api: Process, crew_id: str) -> dict[str, Any]:
    body = {"crew_id": crew_id, "inputs": {"topic": "sales"}}
    answer = httpx.post(f"{api.url}/api/v1/executions", json=body, headers=HEADERS)
    assert answer.status_code == 202, answer.text
    run: dict[str, Any] = answer.json()
    return run


def _wait(api: Process, execution_id: str) -> tuple[dict[str, Any], list[Any]]:
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=api.url, headers=HEADERS) as http:
        while time.monotonic() < deadline:
            run = http.get(f"/api/v1/executions/{execution_id}").json()
            if run["status"] in FINISHED:
                events = http.get(f"/api/v1/executions/{execution_id}/events").json()["items"]
                return run, events
            time.sleep(0.2)
    raise AssertionError(f"run {execution_id} did not finish")


def _script(llm: ScriptedLLMServer) -> None:
    llm.script(
        tool_call("databricks_genie", {"question": "Revenue by region?"}),
        text("North leads."),
        text("North sells most."),
    )


def test_a_worker_elsewhere_calls_the_workspace_with_the_users_token(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    cluster, api, worker, workspace = (
        deployment.cluster,
        deployment.api,
        deployment.worker,
        deployment.workspace,
    )
    crew_id = deployment.crew_id
    _script(llm_server)
    run, events = _wait(api, _start(api, crew_id)["id"])

    assert run["status"] == "succeeded", run
    calls = workspace.api_requests()
    assert calls
    assert {bearer(r) for r in calls} == {USER_TOKEN}
    assert cluster.query("SELECT count(*) FROM execution_token_loans") == [(0,)]
    assert USER_TOKEN not in json.dumps(events) + json.dumps(run)
    assert USER_TOKEN not in api.log.read_text() + worker.log.read_text()


def test_a_token_that_expired_in_the_queue_fails_the_run_clearly(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    cluster, api, worker, workspace = (
        deployment.cluster,
        deployment.api,
        deployment.worker,
        deployment.workspace,
    )
    crew_id = deployment.crew_id
    before = len(workspace.api_requests())
    os.killpg(worker.pid, signal.SIGSTOP)  # no worker claims the run in time
    try:
        queued = _start(api, crew_id)
        ((stored,),) = cluster.query("SELECT token_encrypted FROM execution_token_loans")
        assert USER_TOKEN not in stored
        time.sleep(TTL_S + 1)
    finally:
        os.killpg(worker.pid, signal.SIGCONT)
    run, events = _wait(api, queued["id"])

    assert run["status"] == "failed", run
    assert "Databricks token handed to this run expired" in run["error"]
    assert len(workspace.api_requests()) == before
    assert llm_server.chat_requests == []
    assert cluster.query("SELECT count(*) FROM execution_token_loans") == [(0,)]
    assert USER_TOKEN not in json.dumps(events) + json.dumps(run)
