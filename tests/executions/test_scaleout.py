"""Scale-out on PostgreSQL: two API replicas (no workers) and two `kasal worker` processes,
each with its own data directory as if on its own host, on one database. Runs go through
procrastinate jobs; live events reach the clients of either replica over LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.executions.support import two_step_crew
from tests.support.cluster import ADMIN_EMAIL, ADMIN_PASSWORD, Cluster, Process
from tests.support.database import throwaway_database
from tests.support.llm_server import ScriptedLLMServer

# Four processes start (two import crewai) before the first test: minutes on a busy machine.
pytestmark = pytest.mark.timeout(600)

FINAL = {"execution.succeeded", "execution.failed", "execution.cancelled", "execution.interrupted"}


@dataclass
class Deployment:
    cluster: Cluster
    a: Process
    b: Process
    workers: list[Process]
    headers: dict[str, str]
    crew_id: str


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, _llm_server_session: ScriptedLLMServer
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("cluster")
    with (
        throwaway_database("postgresql", root) as db_url,
        Cluster(db_url, root, lease_s="3", requeue_lost="true", cancel_grace="3") as cluster,
    ):
        a = cluster.api("api-a")  # migrates the database and creates the admin
        b = cluster.api("api-b")
        workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
        cluster.wait_workers(2)
        login = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        token = httpx.post(f"{a.url}/api/v1/auth/login", json=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        model = {
            "key": "scripted",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "base_url": _llm_server_session.base_url,
        }
        key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
        for path, body in (("models", model), ("api-keys", key)):
            assert httpx.post(f"{a.url}/api/v1/{path}", json=body, headers=headers).is_success
        document = {**two_step_crew("scripted"), "name": "Scale-out brief"}
        crew = httpx.post(f"{b.url}/api/v1/crews", json=document, headers=headers)
        assert crew.status_code == 201, crew.text
        yield Deployment(cluster, a, b, workers, headers, crew.json()["id"])


async def _start(http: httpx.AsyncClient, api: Process, d: Deployment) -> str:
    body = {"crew_id": d.crew_id, "inputs": {"topic": "tides"}}
    response = await http.post(f"{api.url}/api/v1/executions", json=body, headers=d.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def _status(http: httpx.AsyncClient, api: Process, d: Deployment, eid: str) -> str:
    response = await http.get(f"{api.url}/api/v1/executions/{eid}", headers=d.headers)
    return str(response.json()["status"])


async def _wait_status(
    http: httpx.AsyncClient, api: Process, d: Deployment, eid: str, wanted: str
) -> None:
    async with asyncio.timeout(90):
        while await _status(http, api, d, eid) != wanted:  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.1)


async def _log(http: httpx.AsyncClient, api: Process, d: Deployment, eid: str) -> list[Any]:
    url = f"{api.url}/api/v1/executions/{eid}/events"
    response = await http.get(url, params={"after": 0}, headers=d.headers)
    return [(e["seq"], e["type"]) for e in response.json()["items"]]


async def _sse(http: httpx.AsyncClient, api: Process, d: Deployment, eid: str) -> list[Any]:
    """A Server-Sent Events client of `api`, until the run ended."""
    seen: list[tuple[int, str]] = []
    headers = {**d.headers, "Accept": "text/event-stream"}
    url = f"{api.url}/api/v1/executions/{eid}/events"
    async with http.stream("GET", url, headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                seen.append((event["seq"], event["type"]))
                if event["type"] in FINAL:
                    break
    return seen


async def _long_poll(http: httpx.AsyncClient, api: Process, d: Deployment, eid: str) -> list[Any]:
    """A long-polling client of `api`, until the run ended."""
    seen: list[tuple[int, str]] = []
    while not seen or seen[-1][1] not in FINAL:
        after = seen[-1][0] if seen else 0
        url = f"{api.url}/api/v1/executions/{eid}/events"
        page = await http.get(url, params={"after": after, "wait": 10}, headers=d.headers)
        seen += [(e["seq"], e["type"]) for e in page.json()["items"]]
    return seen


class Watcher:
    """A WebSocket client of one replica, subscribed to some executions until each ended.
    Should the replica go away, it reconnects and resumes after the last seq it saw."""

    def __init__(self, api: Process, d: Deployment, ids: list[str]) -> None:
        self.api = api
        self.token = d.headers["Authorization"].removeprefix("Bearer ")
        self.seen: dict[str, list[tuple[int, str]]] = {eid: [] for eid in ids}
        self.ended: set[str] = set()
        self.connections = 0
        self.first_event = asyncio.Event()

    async def run(self) -> None:
        async with asyncio.timeout(180):
            while len(self.ended) < len(self.seen):
                try:
                    await self._session()
                except (ConnectionClosed, OSError):
                    await asyncio.sleep(0.2)  # the replica restarts: connect again

    async def _session(self) -> None:
        async with connect(f"{self.api.ws_url}/api/v1/ws?token={self.token}") as ws:
            self.connections += 1
            for eid, events in self.seen.items():
                after = events[-1][0] if events else 0
                message = {"type": "subscribe", "execution_id": eid, "after": after}
                await ws.send(json.dumps(message))
            while len(self.ended) < len(self.seen):
                message = json.loads(await ws.recv())
                if message["type"] != "event":
                    continue
                event = message["event"]
                self.seen[event["execution_id"]].append((event["seq"], event["type"]))
                self.first_event.set()
                if event["type"] in FINAL:
                    self.ended.add(event["execution_id"])


def _in_order_once(events: list[tuple[int, str]]) -> bool:
    return [seq for seq, _ in events] == list(range(1, len(events) + 1))


def _worker_of(d: Deployment, eid: str) -> Process:
    runner = d.cluster.query("SELECT runner_id FROM executions WHERE id = %s", uuid.UUID(eid))
    pid = int(str(runner[0][0]).split(":")[1])
    return next(w for w in d.workers if w.pid == pid)


async def test_fifty_runs_each_run_once_and_every_client_sees_every_event_in_order(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    d = deployment
    llm_server.delay = 0.05  # runs overlap, and most events are live rather than replayed
    async with httpx.AsyncClient(timeout=60) as http:
        ids = list(await asyncio.gather(*(_start(http, (d.a, d.b)[n % 2], d) for n in range(50))))
        watchers = [Watcher(d.a, d, ids), Watcher(d.b, d, ids)]
        await asyncio.gather(*(w.run() for w in watchers))
        logs = {eid: await _log(http, (d.a, d.b)[n % 2], d, eid) for n, eid in enumerate(ids)}
    for eid in ids:
        assert logs[eid][-1][1] == "execution.succeeded", logs[eid]
        assert [t for _, t in logs[eid]].count("execution.started") == 1
        for watcher in watchers:
            assert watcher.seen[eid] == logs[eid]
            assert _in_order_once(watcher.seen[eid])
    assert len(llm_server.chat_requests) == 2 * 50  # two tasks, one model call each
    rows = d.cluster.query(
        "SELECT attempts, runner_id FROM executions WHERE id = ANY(%s)", [uuid.UUID(i) for i in ids]
    )
    assert {attempts for attempts, _ in rows} == {1}
    assert {int(str(runner).split(":")[1]) for _, runner in rows} == {w.pid for w in d.workers}
    # procrastinate deletes the jobs it finished successfully: none is left, none failed
    assert d.cluster.query("SELECT status, count(*) FROM procrastinate_jobs GROUP BY 1") == []


async def test_a_cancel_on_replica_a_stops_the_run_on_another_hosts_worker(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    """Watched meanwhile over SSE on A and by long-polling on B."""
    d = deployment
    llm_server.delay = 60  # the run waits on its first model call until cancelled
    async with httpx.AsyncClient(timeout=60) as http:
        eid = await _start(http, d.b, d)
        watching = asyncio.gather(_sse(http, d.a, d, eid), _long_poll(http, d.b, d, eid))
        await _wait_status(http, d.a, d, eid, "running")
        await llm_server.wait_for_chat_requests(1)
        response = await http.post(f"{d.a.url}/api/v1/executions/{eid}/cancel", headers=d.headers)
        assert response.status_code == 202, response.text
        await _wait_status(http, d.b, d, eid, "cancelled")
        over_sse, polled = await watching
        log = await _log(http, d.b, d, eid)
    assert [t for _, t in log][-2:] == ["execution.cancelling", "execution.cancelled"]
    assert over_sse == polled == log
    assert _in_order_once(log)
    assert _worker_of(d, eid).alive()


async def test_a_replica_restarted_while_runs_stream_loses_no_event_for_its_clients(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    d = deployment
    llm_server.delay = 0.4
    async with httpx.AsyncClient(timeout=60) as http:
        ids = [await _start(http, d.b, d) for _ in range(4)]
        on_a, on_b = Watcher(d.a, d, ids), Watcher(d.b, d, ids)
        watching = asyncio.gather(on_a.run(), on_b.run())
        await on_a.first_event.wait()
        d.a.stop()
        d.a.start()  # same port, same data directory
        await asyncio.to_thread(d.cluster.wait_ready, d.a)
        await watching
        logs = {eid: await _log(http, d.a, d, eid) for eid in ids}
    assert on_a.connections >= 2
    for eid in ids:
        assert logs[eid][-1][1] == "execution.succeeded"
        assert on_a.seen[eid] == on_b.seen[eid] == logs[eid]


async def test_a_worker_killed_mid_run_has_its_run_requeued_once_and_finished_elsewhere(
    deployment: Deployment, llm_server: ScriptedLLMServer
) -> None:
    d = deployment
    llm_server.delay = 60
    async with httpx.AsyncClient(timeout=60) as http:
        eid = await _start(http, d.a, d)
        await _wait_status(http, d.a, d, eid, "running")
        await llm_server.wait_for_chat_requests(1)
        victim = _worker_of(d, eid)
        victim.kill()
        llm_server.delay = 0  # the second attempt answers at once
        await _wait_status(http, d.b, d, eid, "succeeded")
        events = [t for _, t in await _log(http, d.b, d, eid)]
    assert events.count("execution.started") == 2
    assert events.count("execution.requeued") == 1
    survivor = _worker_of(d, eid)
    assert survivor is not victim
    assert survivor.alive()
    rows = d.cluster.query("SELECT attempts FROM executions WHERE id = %s", uuid.UUID(eid))
    assert rows == [(2,)]
