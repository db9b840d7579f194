"""Kasal's benchmarks, run with `make bench`. Figures are measured in one run on this machine
against a scripted OpenAI-compatible LLM with a fixed delay per call, served by a process of
its own: they compare, they do not promise. Every figure is a median with its range (min-max)
over repeated samples; each aim of issue 16 is marked met or missed. The JSON is saved in
benchmarks/results/. The exit status is non-zero only when something failed (a run that did
not succeed, a server that did not start), never for a missed aim.

1. overhead: the same 3-agent, 3-task crew through Kasal (POST to the `succeeded` event) and
   through bare crewai `akickoff` (the engine's builder, the same shared TLS context), pair by
   pair, alternating which arm goes first. Aim: at most 15 ms added, at most 1.03x.
2. start latency: POST to the first `task.started` on a WebSocket. Aim: p50 < 40, p95 < 80 ms.
3. throughput: 50 executions started together; all must succeed; runs/s and peak memory.
4. fan-out: delay from an event's creation to its receipt by 100 WebSocket subscribers, the
   subscribers spread over 4 processes. Aim: p99 < 30 ms.
5. reads: `GET /api/v1/crews` (13 crews) and `GET /api/v1/executions/{id}`, 20 keep-alive
   connections over 2 load processes, on SQLite and on PostgreSQL. Aim: >= 1,000 req/s and
   p99 < 50 ms.
6. cold start: process start to the first `/health` answer (aim < 2 s), and to `/health/ready`.
7. memory: RSS of the server and its workers after 10 and after 1,000 finished runs (aim:
   within 2 %).
8. scale-out on PostgreSQL (benchmarks/scaleout.py). Skipped, and said so, without PostgreSQL.

Environment: KASAL_BENCH_SERVER (another checkout's `kasal`, for a baseline),
KASAL_BENCH_PAIRS (overhead pairs, 15), KASAL_BENCH_MEMORY_RUNS (1000),
KASAL_BENCH_SCALE_OUT=0 (leave the scale-out case out).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect

from benchmarks.llm import LLMProcess
from benchmarks.stats import percentile, spread, summary
from kasal.engine.env import quiet_crewai

ROOT = Path(__file__).resolve().parent.parent
LLM_DELAY_S = 0.05
PASSWORD = "benchmark-password"
OVERHEAD_PAIRS = int(os.environ.get("KASAL_BENCH_PAIRS", "15"))
START_RUNS = 30
SUBSCRIBERS, SUBSCRIBER_PROCESSES, FAN_OUT_RUNS = 100, 4, 3
READ_CONNECTIONS, LOAD_PROCESSES, READ_SECONDS, READ_ROUNDS = 20, 2, 3.0, 3
CREWS = 13
COLD_STARTS = 3
MEMORY_RUNS = int(os.environ.get("KASAL_BENCH_MEMORY_RUNS", "1000"))
FINAL = ("succeeded", "failed", "cancelled", "interrupted")
# The server measured: this checkout's, or another's (a baseline) named by KASAL_BENCH_SERVER.
KASAL = os.environ.get("KASAL_BENCH_SERVER") or str(ROOT / ".venv" / "bin" / "kasal")
START_LIMIT_S = 300  # workers warming on a busy machine
console = Console()


def crew_document(model: str, name: str = "Benchmark crew") -> dict[str, Any]:
    roles = ("Researcher", "Analyst", "Writer")
    return {
        "name": name,
        "agents": [
            {
                "key": f"a{n}",
                "role": role,
                "goal": f"Do step {n}",
                "backstory": "Fast.",
                "llm": model,
            }
            for n, role in enumerate(roles)
        ],
        "tasks": [
            {
                "key": f"t{n}",
                "name": f"Step {n}",
                "description": f"Step {n} about {{topic}}",
                "expected_output": "One line",
                "agent": f"a{n}",
                "context": [f"t{n - 1}"] if n else [],
            }
            for n in range(3)
        ],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`kasal serve` as a user runs it, in a process of its own."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "KASAL_DATA_DIR": str(data_dir),
            "KASAL_PORT": str(self.port),
            "KASAL_WORKERS": "2",
            "KASAL_WORKER_CONCURRENCY": "25",
            "KASAL_ADMIN_PASSWORD": PASSWORD,
            "KASAL_LOG_LEVEL": "WARNING",
            "KASAL_RATE_LIMIT": "off",  # measure the server, not its throttle
        }
        if database_url:
            env["KASAL_DATABASE_URL"] = database_url
        self.started = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603 (our own CLI, or the one named)
            [KASAL, "serve"],
            env=env,
            cwd=data_dir,
            stdout=subprocess.DEVNULL,
            stderr=(data_dir / "server.log").open("a"),
        )
        self.health_s = self.ready_s = 0.0  # seconds from the start, once answered

    async def ready(self) -> None:
        """Wait for `/health`, then `/health/ready`, noting when each first answered 200."""
        async with httpx.AsyncClient(base_url=self.url) as http:
            for path in ("/health", "/health/ready"):
                await self._first_ok(http, path)
                elapsed = time.monotonic() - self.started
                if path == "/health":
                    self.health_s = elapsed
                else:
                    self.ready_s = elapsed

    async def _first_ok(self, http: httpx.AsyncClient, path: str) -> None:
        deadline = time.monotonic() + START_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kasal serve exited with {self.process.returncode}")
            try:
                if (await http.get(path)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.01)
        raise RuntimeError(f"kasal serve did not answer {path}")

    def rss_mb(self) -> float:
        """Resident memory of the server and its worker processes."""
        pids = [self.process.pid, *_children(self.process.pid)]
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []  # it exited while we looked
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += [int(child), *_children(int(child))]
    return found


class Kasal:
    """A signed-in client of one server, with the benchmark crew in place."""

    def __init__(self, server: Server, http: httpx.AsyncClient, token: str, crew_id: str) -> None:
        self.server = server
        self.http = http
        self.token = token
        self.crew_id = crew_id

    @classmethod
    async def prepare(cls, server: Server, http: httpx.AsyncClient, llm_url: str) -> Kasal:
        login = await http.post(
            "/api/v1/auth/login", json={"username": "admin@kasal.local", "password": PASSWORD}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        model = {"key": "bench", "provider": "openai", "model": "gpt-4o-mini", "base_url": llm_url}
        key = {"name": "openai", "provider": "openai", "value": "sk-bench"}
        for path, body in (("/api/v1/models", model), ("/api/v1/api-keys", key)):
            (await http.post(path, json=body)).raise_for_status()
        crew = await http.post("/api/v1/crews", json=crew_document("bench"))
        crew.raise_for_status()
        return cls(server, http, token, str(crew.json()["id"]))

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/api/v1/ws"

    async def start(self) -> str:
        response = await self.http.post(
            "/api/v1/executions", json={"crew_id": self.crew_id, "inputs": {"topic": "tides"}}
        )
        response.raise_for_status()
        return str(response.json()["id"])

    async def socket(self) -> ClientConnection:
        return await connect(f"{self.ws_url}?token={self.token}")

    async def wait_all(self, ids: list[str]) -> dict[str, str]:
        """Poll until every run has ended; its final status by id."""
        statuses: dict[str, str] = {}
        while len(statuses) < len(ids):
            for execution_id in ids:
                if execution_id not in statuses:
                    body = (await self.http.get(f"/api/v1/executions/{execution_id}")).json()
                    if body["status"] in FINAL:
                        statuses[execution_id] = body["status"]
            await asyncio.sleep(0.1)
        return statuses


async def until(ws: ClientConnection, execution_id: str, event_type: str) -> float:
    """Subscribe, and return the monotonic time at which `event_type` arrives."""
    await ws.send(json.dumps({"type": "subscribe", "execution_id": execution_id}))
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") == "event" and message["event"]["type"] == event_type:
            return time.monotonic()
        if message.get("type") == "event" and message["event"]["type"] == "execution.failed":
            raise RuntimeError(f"run failed: {message['event']['data']}")


# 1. overhead


async def bench_overhead(kasal: Kasal, llm_url: str, pairs: int) -> dict[str, Any]:
    async def through_kasal() -> float:
        async with await kasal.socket() as ws:
            started = time.monotonic()
            execution_id = await kasal.start()
            return await until(ws, execution_id, "execution.succeeded") - started

    bare = await _bare_crewai(llm_url)  # warmed by one run, as is each Kasal worker here
    for _ in range(2):
        await through_kasal()
    kasal_times: list[float] = []
    bare_times: list[float] = []
    for pair in range(pairs):  # interleaved, alternating which arm goes first
        arms = [(through_kasal, kasal_times), (bare, bare_times)]
        for run, times in arms if pair % 2 == 0 else reversed(arms):
            times.append(await run())
    added = [(k - b) * 1000 for k, b in zip(kasal_times, bare_times, strict=True)]
    ratios = [k / b for k, b in zip(kasal_times, bare_times, strict=True)]
    return {
        "pairs": pairs,
        "kasal_ms": summary([t * 1000 for t in kasal_times]),
        "bare_crewai_ms": summary([t * 1000 for t in bare_times]),
        "added_ms": summary(added),
        "ratio": summary(ratios),
    }


async def _bare_crewai(llm_url: str) -> Callable[[], Awaitable[float]]:
    """The same crew built by the engine's builder, run with crewai's own akickoff."""
    from pydantic import SecretStr

    from kasal.engine.build import build_crew
    from kasal.engine.spec import CrewSpec, LLMConfig, RunRequest

    work_dir = Path(tempfile.mkdtemp(prefix="kasal-bench-bare-"))
    spec = CrewSpec.model_validate(crew_document("bench"))
    config = LLMConfig(
        key="bench",
        provider="openai",
        model="gpt-4o-mini",
        base_url=llm_url,
        api_key=SecretStr("sk-bench"),
    )
    request = RunRequest(
        execution_id="bare",
        crew=spec,
        llms={"bench": config},
        inputs={"topic": "tides"},
        work_dir=str(work_dir),
    )

    async def run() -> float:
        started = time.monotonic()  # building the crew is part of running it, as in Kasal
        built = build_crew(request)
        await built.crew.akickoff(inputs=dict(request.inputs))
        return time.monotonic() - started

    await run()  # warm: imports, first client
    return run


# 2. start latency


async def bench_start_latency(kasal: Kasal, runs: int) -> dict[str, Any]:
    latencies = []
    for _ in range(runs):
        async with await kasal.socket() as ws:
            started = time.monotonic()
            execution_id = await kasal.start()
            latencies.append((await until(ws, execution_id, "task.started") - started) * 1000)
            await until(ws, execution_id, "execution.succeeded")
    return {"runs": runs, "ms": summary(latencies), "p50_ms": percentile(latencies, 50)}


# 3. throughput


async def bench_throughput(kasal: Kasal, count: int) -> dict[str, Any]:
    peak = kasal.server.rss_mb()
    started = time.monotonic()
    ids = list(await asyncio.gather(*(kasal.start() for _ in range(count))))
    waiting = asyncio.create_task(kasal.wait_all(ids))
    while not waiting.done():
        peak = max(peak, kasal.server.rss_mb())
        await asyncio.sleep(0.1)
    statuses = await waiting
    elapsed = time.monotonic() - started
    return {
        "executions": count,
        "succeeded": sum(s == "succeeded" for s in statuses.values()),
        "seconds": elapsed,
        "runs_per_s": count / elapsed,
        "peak_rss_mb": peak,
    }


# 4. fan-out


async def bench_fan_out(kasal: Kasal, llm: LLMProcess, runs: int) -> dict[str, Any]:
    delays: list[float] = []
    per_run_p99: list[float] = []
    for _ in range(runs):
        found = await _fan_out_once(kasal, llm)
        delays += found
        per_run_p99.append(percentile(found, 99))
    return {
        "subscribers": SUBSCRIBERS,
        "processes": SUBSCRIBER_PROCESSES,
        "runs": runs,
        "deliveries": len(delays),
        "ms": summary(delays),
        "p99_per_run_ms": summary(per_run_p99),
    }


async def _fan_out_once(kasal: Kasal, llm: LLMProcess) -> list[float]:
    llm.hold()  # the run's LLM calls wait until every subscriber is in
    try:
        execution_id = await kasal.start()
        share = SUBSCRIBERS // SUBSCRIBER_PROCESSES
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.subscribers",
                kasal.ws_url,
                execution_id,
                str(share),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(SUBSCRIBER_PROCESSES)
        ]
        for child in children:
            assert child.stdin is not None
            child.stdin.write(f"{kasal.token}\n".encode())
            await child.stdin.drain()
        for child in children:
            assert child.stdout is not None
            if (await child.stdout.readline()).strip() != b"ready":
                raise RuntimeError("a subscriber process did not get ready")
    finally:
        llm.release()
    delays: list[float] = []
    for child in children:
        out, _ = await child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"a subscriber process failed ({child.returncode})")
        delays += json.loads(out)
    return delays


# 5. reads


async def bench_reads(kasal: Kasal) -> dict[str, Any]:
    for n in range(CREWS - 1):  # the benchmark crew is the 13th
        document = crew_document("bench", name=f"Read crew {n}")
        (await kasal.http.post("/api/v1/crews", json=document)).raise_for_status()
    ids = [await kasal.start()]
    await kasal.wait_all(ids)
    out: dict[str, Any] = {"connections": READ_CONNECTIONS, "crews": CREWS}
    paths = {"crews": "/api/v1/crews", "execution": f"/api/v1/executions/{ids[0]}"}
    for name, path in paths.items():
        rates: list[float] = []
        latencies: list[float] = []
        errors = 0
        for _ in range(READ_ROUNDS):
            rate, found, failed = await _load_round(kasal, path)
            rates.append(rate)
            latencies += found
            errors += failed
        out[name] = {"req_per_s": summary(rates), "ms": summary(latencies), "errors": errors}
    return out


async def _load_round(kasal: Kasal, path: str) -> tuple[float, list[float], int]:
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.load",
            kasal.server.url,
            path,
            str(READ_CONNECTIONS // LOAD_PROCESSES),
            str(READ_SECONDS),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(LOAD_PROCESSES)
    ]
    rate, latencies, errors = 0.0, [], 0
    for child in children:
        out, _ = await child.communicate(f"{kasal.token}\n".encode())
        if child.returncode != 0:
            raise RuntimeError(f"a load process failed ({child.returncode})")
        result = json.loads(out)
        rate += result["requests"] / result["seconds"]
        latencies += result["latencies_ms"]
        errors += result["error_count"]
    return rate, latencies, errors


# 7. memory


async def bench_memory(kasal: Kasal, total: int) -> dict[str, Any]:
    """RSS after 10 finished runs, then after `total`, in batches of 50 at once."""
    done = 0
    failed = 0

    async def batch(size: int) -> None:
        nonlocal done, failed
        ids = list(await asyncio.gather(*(kasal.start() for _ in range(size))))
        statuses = await kasal.wait_all(ids)
        failed += sum(s != "succeeded" for s in statuses.values())
        done += size

    await batch(10)
    await asyncio.sleep(1)
    after_10 = kasal.server.rss_mb()
    while done < total:
        await batch(min(50, total - done))
    await asyncio.sleep(1)
    after_all = kasal.server.rss_mb()
    return {
        "runs": done,
        "failed": failed,
        "rss_after_10_mb": after_10,
        f"rss_after_{total}_mb": after_all,
        "growth_pct": (after_all - after_10) / after_10 * 100,
    }


# 6. cold start


async def bench_cold_start(samples: int) -> dict[str, Any]:
    """A fresh data dir first (migrations, seeds), then restarts on it."""
    data_dir = Path(tempfile.mkdtemp(prefix="kasal-bench-cold-"))
    health: list[float] = []
    ready: list[float] = []
    for _ in range(samples):
        server = Server(data_dir)
        try:
            await server.ready()
        finally:
            server.stop()
        health.append(server.health_s * 1000)
        ready.append(server.ready_s * 1000)
    return {
        "samples": samples,
        "health_ms": summary(health),
        "ready_ms": summary(ready),
        "fresh_health_ms": health[0],
    }


async def with_server(
    llm_url: str, database_url: str | None, body: Callable[[Kasal], Awaitable[None]]
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="kasal-bench-"))
    server = Server(data_dir, database_url)
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
            await body(await Kasal.prepare(server, http, llm_url))
    finally:
        server.stop()


async def main() -> dict[str, Any]:
    quiet_crewai()
    llm = LLMProcess(LLM_DELAY_S)
    results: dict[str, Any] = {
        "llm_delay_ms": LLM_DELAY_S * 1000,
        "cores": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "started": datetime.now(UTC).isoformat(),
    }

    async def measure(name: str, step: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        """One figure; a failure is recorded (and fails the run) and the others go on."""
        console.print(f"{name} ...")
        try:
            results[name] = await step()
        except Exception as exc:
            results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]{name} failed[/]: {exc}")

    async def on_sqlite(kasal: Kasal) -> None:
        await measure("overhead", lambda: bench_overhead(kasal, llm.base_url, OVERHEAD_PAIRS))
        await measure("start_latency", lambda: bench_start_latency(kasal, START_RUNS))
        await measure("throughput", lambda: bench_throughput(kasal, 50))
        await measure("fan_out", lambda: bench_fan_out(kasal, llm, FAN_OUT_RUNS))
        await measure("reads_sqlite", lambda: bench_reads(kasal))

    async def on_postgres(kasal: Kasal) -> None:
        await measure("reads_postgresql", lambda: bench_reads(kasal))

    async def memory(kasal: Kasal) -> None:
        await measure("memory", lambda: bench_memory(kasal, MEMORY_RUNS))

    async def on_server(url: str | None, body: Callable[[Kasal], Awaitable[None]]) -> None:
        try:
            await with_server(llm.base_url, url, body)
        except Exception as exc:
            results.setdefault("errors", {})["server"] = f"{type(exc).__name__}: {exc}"
            console.print(f"[red]the server failed[/]: {exc}")

    from benchmarks.scaleout import bench_scale_out, postgres_missing
    from tests.support.database import throwaway_database

    try:
        await on_server(None, on_sqlite)
        missing = postgres_missing()
        if missing:
            results["reads_postgresql"] = {"skipped": missing}
        else:
            root = Path(tempfile.mkdtemp(prefix="kasal-bench-pg-"))
            with throwaway_database("postgresql", root) as url:
                await on_server(url, on_postgres)
        await measure("cold_start", lambda: bench_cold_start(COLD_STARTS))
        await on_server(None, memory)
        if os.environ.get("KASAL_BENCH_SCALE_OUT", "1") != "0":
            await measure("scale_out", lambda: bench_scale_out(llm.base_url))
    finally:
        llm.stop()
    results["load_average_after"] = os.getloadavg()
    results["aims"] = aims(results)
    return results


Figure = Callable[[dict[str, Any]], tuple[str, bool]]


def _overhead_added(o: dict[str, Any]) -> tuple[str, bool]:
    return spread(o["added_ms"], "ms"), o["added_ms"]["median"] <= 15


def _overhead_ratio(o: dict[str, Any]) -> tuple[str, bool]:
    return spread(o["ratio"], digits=3), o["ratio"]["median"] <= 1.03


def _start(x: dict[str, Any]) -> tuple[str, bool]:
    s = x["ms"]
    figure = f"p50 {s['median']:.0f} / p95 {s['p95']:.0f} ms ({s['min']:.0f}-{s['max']:.0f})"
    return figure, s["median"] < 40 and s["p95"] < 80


def _fan_out(x: dict[str, Any]) -> tuple[str, bool]:
    f = x["ms"]
    figure = (
        f"p50 {f['median']:.1f} / p99 {f['p99']:.1f} ms (p99 per run {spread(x['p99_per_run_ms'])})"
    )
    return figure, f["p99"] < 30


def _reads(name: str) -> Figure:
    def figure(reads: dict[str, Any]) -> tuple[str, bool]:
        x = reads[name]
        text = f"{spread(x['req_per_s'], 'req/s', 0)}, p99 {x['ms']['p99']:.0f} ms"
        return text, x["req_per_s"]["median"] >= 1000 and x["ms"]["p99"] < 50

    return figure


def _cold(c: dict[str, Any]) -> tuple[str, bool]:
    figure = f"{spread(c['health_ms'], 'ms', 0)}; ready {spread(c['ready_ms'], 'ms', 0)}"
    return figure, c["health_ms"]["max"] < 2000


def _memory(m: dict[str, Any]) -> tuple[str, bool]:
    after = m[f"rss_after_{m['runs']}_mb"]
    figure = f"{m['rss_after_10_mb']:.0f} -> {after:.0f} MB ({m['growth_pct']:+.1f} %) "
    return figure + f"after {m['runs']} runs", abs(m["growth_pct"]) <= 2


AIMS: list[tuple[str, str, str, Figure]] = [
    ("overhead: added per run", "overhead", "<= 15 ms median", _overhead_added),
    ("overhead: Kasal / bare crewai", "overhead", "<= 1.03x median", _overhead_ratio),
    ("POST -> first task.started", "start_latency", "p50 < 40, p95 < 80 ms", _start),
    ("fan-out, 100 subscribers", "fan_out", "p99 < 30 ms", _fan_out),
    *(
        (f"{label} ({db})", f"reads_{db}", ">= 1,000 req/s, p99 < 50 ms", _reads(name))
        for db in ("sqlite", "postgresql")
        for name, label in (("crews", "GET /api/v1/crews"), ("execution", "GET /executions/{id}"))
    ),
    ("cold start to /health", "cold_start", "< 2,000 ms", _cold),
    ("RSS after 1,000 runs vs 10", "memory", "within 2 %", _memory),
]


def aims(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Each aim of issue 16, its figure, and whether this run met it (None: not measured)."""
    rows: list[dict[str, Any]] = []
    for name, key, wanted, figure in AIMS:
        measured = r.get(key)
        if measured is None or "skipped" in measured:
            why = measured["skipped"] if measured else r.get("errors", {}).get(key, "failed")
            rows.append({"aim": name, "figure": why, "wanted": wanted, "met": None})
            continue
        text, met = figure(measured)
        rows.append({"aim": name, "figure": text, "wanted": wanted, "met": met})
    return rows


def failures(r: dict[str, Any]) -> list[str]:
    """What went wrong (as against an aim missed): a reason to exit non-zero."""
    found = [f"{name}: {why}" for name, why in r.get("errors", {}).items()]
    t = r.get("throughput")
    if t and t["succeeded"] != t["executions"]:
        found.append(f"throughput: {t['succeeded']}/{t['executions']} runs succeeded")
    if r.get("memory", {}).get("failed"):
        found.append(f"memory: {r['memory']['failed']} runs did not succeed")
    for db in ("sqlite", "postgresql"):
        for name in ("crews", "execution"):
            errors = r.get(f"reads_{db}", {}).get(name, {}).get("errors", 0)
            if errors:
                found.append(f"reads on {db}, {name}: {errors} answers were not 200")
    return found


def report(results: dict[str, Any]) -> None:
    load = ", ".join(f"{x:.2f}" for x in results["load_average_before"])
    table = Table(
        title=f"Kasal benchmarks (LLM call {results['llm_delay_ms']:.0f} ms, "
        f"{results['cores']} cores, load average {load}); median (min-max)"
    )
    for column in ("aim", "figure", "wanted", "met"):
        table.add_column(column)
    for row in results["aims"]:
        met = {True: "[green]met[/]", False: "[red]missed[/]", None: "not measured"}[row["met"]]
        table.add_row(row["aim"], row["figure"], row["wanted"], met)
    t = results.get("throughput")
    if t:
        figure = (
            f"{t['succeeded']}/50, {t['runs_per_s']:.2f} runs/s, peak {t['peak_rss_mb']:.0f} MB"
        )
        table.add_row("throughput, 50 at once", figure, "all succeed", "")
    if "scale_out" in results:
        table.add_row(*_scale_out_row(results["scale_out"]))
    console.print(table)


def _scale_out_row(x: dict[str, Any]) -> tuple[str, str, str, str]:
    if "skipped" in x:
        return ("scale-out", x["skipped"], "p99 < 50 ms", "not measured")
    one, two = x["one_worker_runs_per_s"], x["two_workers_runs_per_s"]
    met = "[green]met[/]" if x["cross_replica_p99_ms"] < 50 else "[red]missed[/]"
    return (
        "scale-out (PostgreSQL)",
        f"runs/s 1 worker {spread(one, digits=2)}, 2 workers {spread(two, digits=2)}; "
        f"cross-replica p50 {x['cross_replica_p50_ms']:.1f} / p99 {x['cross_replica_p99_ms']:.1f} ms",
        "p99 < 50 ms",
        met,
    )


if __name__ == "__main__":
    outcome = asyncio.run(main())
    report(outcome)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(outcome, indent=2))
    console.print(f"saved {path.relative_to(ROOT)}")
    problems = failures(outcome)
    for problem in problems:
        console.print(f"[red]failure[/]: {problem}")
    sys.exit(1 if problems else 0)
