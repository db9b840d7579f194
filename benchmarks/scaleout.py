"""The PostgreSQL scale-out case of `make bench`: two API replicas (no workers) and first one,
then two `kasal worker` processes on one database (KASAL_QUEUE=procrastinate).

- runs/s with one and with two worker processes: rounds of runs started together on replica
  B, timed until replica A's WebSocket client has seen every run end; median and range.
- cross-replica event delivery: runs one at a time (as the in-process fan-out case: latency,
  not queueing under saturation), from an event's creation in the worker to its receipt by
  a WebSocket client of replica A, live events only; p50 and p99 (aim: p99 < 50 ms).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from websockets.asyncio.client import connect

from benchmarks.run import crew_document
from benchmarks.stats import percentile, summary
from kasal.core.db import libpq_url
from tests.support.cluster import ADMIN_EMAIL, ADMIN_PASSWORD, Cluster, Process
from tests.support.database import postgres_server_url, throwaway_database

ROUNDS = 3
RUNS_PER_ROUND = 24
LATENCY_RUNS = 10
WORKER_CONCURRENCY = 24  # slots are not what limits one worker process
FINAL = {"execution.succeeded", "execution.failed", "execution.cancelled", "execution.interrupted"}


def postgres_missing() -> str | None:
    try:
        psycopg.connect(libpq_url(postgres_server_url()), connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL at KASAL_TEST_POSTGRES_URL: {exc}"
    return None


async def _round(
    http: httpx.AsyncClient,
    a: Process,
    b: Process,
    token: str,
    crew_id: str,
    delays: list[float],
    runs: int = RUNS_PER_ROUND,
) -> float:
    """One round: `runs` started together on B, watched on A; returns runs/s."""
    async with connect(f"{a.ws_url}/api/v1/ws?token={token}") as ws:
        started = time.monotonic()
        joined = datetime.now(UTC)
        body = {"crew_id": crew_id, "inputs": {"topic": "tides"}}
        responses = await asyncio.gather(
            *(http.post(f"{b.url}/api/v1/executions", json=body) for _ in range(runs))
        )
        ids = {r.raise_for_status().json()["id"] for r in responses}
        for execution_id in ids:
            await ws.send(json.dumps({"type": "subscribe", "execution_id": execution_id}))
        ended: set[str] = set()
        while ended != ids:
            message = json.loads(await ws.recv())
            if message.get("type") != "event":
                continue
            event = message["event"]
            created = datetime.fromisoformat(event["ts"])
            if created > joined:
                delays.append((datetime.now(UTC) - created).total_seconds() * 1000)
            if event["type"] in FINAL:
                if event["type"] != "execution.succeeded":
                    raise RuntimeError(f"a run ended {event['type']}: {event['data']}")
                ended.add(event["execution_id"])
        return len(ids) / (time.monotonic() - started)


async def bench_scale_out(llm_base_url: str) -> dict[str, Any]:
    missing = postgres_missing()
    if missing:
        return {"skipped": missing}
    root = Path(tempfile.mkdtemp(prefix="kasal-bench-scaleout-"))
    delays: list[float] = []
    rates: dict[str, list[float]] = {"one_worker": [], "two_workers": []}
    with throwaway_database("postgresql", root) as db_url, Cluster(db_url, root) as cluster:
        a, b = cluster.api("api-a"), cluster.api("api-b")
        cluster.worker("worker-1", workers=1, concurrency=WORKER_CONCURRENCY)
        cluster.wait_workers(1)
        async with httpx.AsyncClient(timeout=120) as http:
            login = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            token = (await http.post(f"{a.url}/api/v1/auth/login", json=login)).json()[
                "access_token"
            ]
            http.headers["Authorization"] = f"Bearer {token}"
            crew_id = await _crew(http, a, llm_base_url)
            await _round(http, a, b, token, crew_id, [])  # warm-up: first imports, caches
            for _ in range(ROUNDS):
                rates["one_worker"].append(await _round(http, a, b, token, crew_id, []))
            cluster.worker("worker-2", workers=1, concurrency=WORKER_CONCURRENCY)
            await asyncio.to_thread(cluster.wait_workers, 2)
            for _ in range(ROUNDS):
                rates["two_workers"].append(await _round(http, a, b, token, crew_id, []))
            for _ in range(LATENCY_RUNS):
                await _round(http, a, b, token, crew_id, delays, runs=1)
    return {
        "runs_per_round": RUNS_PER_ROUND,
        "rounds": ROUNDS,
        "one_worker_runs_per_s": summary(rates["one_worker"]),
        "two_workers_runs_per_s": summary(rates["two_workers"]),
        "cross_replica_events": len(delays),
        "cross_replica_p50_ms": percentile(delays, 50),
        "cross_replica_p99_ms": percentile(delays, 99),
        "aim": "p99 < 50 ms",
    }


async def _crew(http: httpx.AsyncClient, api: Process, llm_base_url: str) -> str:
    model = {"key": "bench", "provider": "openai", "model": "gpt-4o-mini", "base_url": llm_base_url}
    key = {"name": "openai", "provider": "openai", "value": "sk-bench"}
    for path, body in (("models", model), ("api-keys", key)):
        (await http.post(f"{api.url}/api/v1/{path}", json=body)).raise_for_status()
    document = crew_document("bench", name="Scale-out benchmark crew")  # as the others
    crew = await http.post(f"{api.url}/api/v1/crews", json=document)
    crew.raise_for_status()
    return str(crew.json()["id"])
