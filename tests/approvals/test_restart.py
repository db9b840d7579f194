"""A paused run's state is in the database only: `kill -9` of the API and of the workers
while it waits, a restart, and an answer still resumes it, with no LLM call made twice and
the event log's seqs continuous. Real `kasal serve` / `kasal worker` processes, on SQLite
(one process with its workers, the local queue) and on PostgreSQL (an API replica and a
worker, the procrastinate queue)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.approvals.support import asking_crew
from tests.flows.support import one_task_crew
from tests.support.cluster import ADMIN_EMAIL, ADMIN_PASSWORD, Cluster, Process
from tests.support.database import throwaway_database
from tests.support.llm_server import ScriptedLLMServer

pytestmark = pytest.mark.timeout(600)

WAIT_S = 120


def _until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _start_servers(cluster: Cluster, backend: str) -> list[Process]:
    if backend == "sqlite":
        return [cluster.api("api", workers=1)]
    api = cluster.api("api")
    worker = cluster.worker("worker")
    cluster.wait_workers(1)
    return [api, worker]


def _flow(crew_ids: list[str]) -> dict[str, Any]:
    """A crew step, an approval of its output, then a second crew step."""
    return {
        "name": "Paused flow",
        "inputs": [{"name": "topic"}],
        "steps": [
            {"key": "research", "kind": "crew", "crew_id": crew_ids[0]},
            {
                "key": "review",
                "kind": "approval",
                "review": "${steps.research.output}",
                "approval": {"question": "Go on?"},
            },
            {
                "key": "brief",
                "kind": "crew",
                "crew_id": crew_ids[1],
                "inputs": {"notes": "${steps.research.output}"},
            },
        ],
        "edges": [
            {"source": "research", "target": "review"},
            {"source": "review", "target": "brief", "on": "approve"},
        ],
    }


def _start(api: str, headers: dict[str, str], kind: str) -> str:
    """A run that pauses after its first LLM call: a crew's human_input task, or a flow's
    approval step after its first crew."""
    if kind == "crew":
        documents = [{**asking_crew("scripted"), "name": "Paused brief"}]
    else:
        documents = [
            one_task_crew("scripted", "Research", "Research {topic}"),
            one_task_crew("scripted", "Brief", "Write a brief from {notes}"),
        ]
    ids = []
    for document in documents:
        created = httpx.post(f"{api}/crews", json=document, headers=headers)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    if kind == "crew":
        run = {"crew_id": ids[0], "inputs": {"topic": "tides"}}
    else:
        flow = httpx.post(f"{api}/flows", json=_flow(ids), headers=headers)
        assert flow.status_code == 201, flow.text
        run = {"flow_id": flow.json()["id"], "inputs": {"topic": "tides"}}
    started = httpx.post(f"{api}/executions", json=run, headers=headers)
    assert started.status_code == 202, started.text
    return str(started.json()["id"])


@pytest.mark.parametrize("kind", ["crew", "flow"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_waiting_through_kill_9_of_api_and_workers_resumes_after_restart(
    backend: str, kind: str, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    llm_server.script("Tides follow the moon.", "A brief about tides.")
    queue = "local" if backend == "sqlite" else "procrastinate"
    with (
        throwaway_database(backend, tmp_path) as db_url,
        Cluster(db_url, tmp_path, queue=queue, lease_s="3") as cluster,
    ):
        servers = _start_servers(cluster, backend)
        api = servers[0].url + "/api/v1"
        login = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        token = httpx.post(f"{api}/auth/login", json=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        model = {"key": "scripted", "provider": "openai", "model": "gpt-4o-mini"}
        key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
        for path, body in (
            ("models", {**model, "base_url": llm_server.base_url}),
            ("api-keys", key),
        ):
            assert httpx.post(f"{api}/{path}", json=body, headers=headers).is_success
        execution_id = _start(api, headers, kind)

        def status() -> str:
            reply = httpx.get(f"{api}/executions/{execution_id}", headers=headers)
            return str(reply.json()["status"])

        _until(lambda: status() == "waiting", "the run to pause")
        for server in servers:
            server.kill_all()
            cluster.processes.remove(server)  # gone: the cluster watches only the new ones
        assert len(llm_server.chat_requests) == 1

        servers = _start_servers(cluster, backend)
        api = servers[0].url + "/api/v1"
        assert status() == "waiting"  # the restart left it alone: no lease to recover
        (approval,) = httpx.get(f"{api}/approvals", headers=headers).json()["items"]
        answered = httpx.post(
            f"{api}/approvals/{approval['id']}", json={"decision": "approve"}, headers=headers
        )
        assert answered.status_code == 200, answered.text
        final = _until(
            lambda: (s := status()) in {"succeeded", "failed", "interrupted"} and s, "the end"
        )
        done = httpx.get(f"{api}/executions/{execution_id}", headers=headers).json()
        events = httpx.get(
            f"{api}/executions/{execution_id}/events", params={"after": 0}, headers=headers
        ).json()["items"]

    assert final == "succeeded", done
    assert done["result"] == "A brief about tides."
    prompts = [r.prompt for r in llm_server.chat_requests]
    assert len(prompts) == 2  # research once, before the kill; write once, after
    assert "Research tides" in prompts[0]
    assert "Tides follow the moon." in prompts[1]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    types = [e["type"] for e in events]
    assert types.count("task.started") == 2
    if kind == "flow":  # the first crew's step is not started again
        assert [e["step_key"] for e in events if e["type"] == "step.started"] == [
            "research",
            "review",
            "brief",
        ]
    assert types[-1] == "execution.succeeded"
