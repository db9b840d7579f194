"""Kasal's benchmarks, run with `make bench`. Figures are ratios and percentiles measured
in one run on this machine, against a scripted OpenAI-compatible LLM with a fixed delay per
call: they compare, they do not promise.

1. overhead: the same 3-agent, 3-task crew through Kasal (POST to the `succeeded` event)
   and through bare crewai `akickoff` in one warm process; the ratio (aim <= 1.10).
2. start latency: POST to the first `task.started` event, p50 and p95 (aim: p50 < 200 ms).
3. throughput: 50 executions started together; all must succeed; runs/s and peak memory.
4. fan-out: delay from an event's creation to its receipt by 100 WebSocket subscribers,
   p50 and p99 (aim: p99 < 50 ms).
5. scale-out on PostgreSQL (benchmarks/scaleout.py): runs/s with one and with two
   `kasal worker` processes behind two API replicas, and cross-replica event delivery p50
   and p99 (aim: p99 < 50 ms). Skipped, and said so, without a PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection, connect

from kasal.engine.env import quiet_crewai
from tests.support.llm_server import RecordedRequest, Reply, ScriptedLLMServer, text

ROOT = Path(__file__).resolve().parent.parent
LLM_DELAY_S = 0.05
PASSWORD = "benchmark-password"
console = Console()


def crew_document(model: str) -> dict[str, Any]:
    roles = ("Researcher", "Analyst", "Writer")
    return {
        "name": "Benchmark crew",
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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`kasal serve` as a user runs it, in a process of its own."""

    def __init__(self, data_dir: Path) -> None:
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
        self.process = subprocess.Popen(  # noqa: S603 (our own CLI)
            [str(ROOT / ".venv" / "bin" / "kasal"), "serve"],
            env=env,
            cwd=data_dir,
            stdout=subprocess.DEVNULL,
            stderr=(data_dir / "server.log").open("w"),
        )

    async def ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.url) as http:
            for _ in range(600):
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("kasal serve did not become ready")

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
    def __init__(self, server: Server, http: httpx.AsyncClient, token: str) -> None:
        self.server = server
        self.http = http
        self.token = token

    async def start(self, crew_id: str) -> str:
        response = await self.http.post(
            "/api/v1/executions", json={"crew_id": crew_id, "inputs": {"topic": "tides"}}
        )
        response.raise_for_status()
        return str(response.json()["id"])

    async def socket(self) -> ClientConnection:
        return await connect(f"ws://127.0.0.1:{self.server.port}/api/v1/ws?token={self.token}")


async def until(ws: ClientConnection, execution_id: str, event_type: str) -> float:
    """Subscribe, and return the monotonic time at which `event_type` arrives."""
    await ws.send(json.dumps({"type": "subscribe", "execution_id": execution_id}))
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") == "event" and message["event"]["type"] == event_type:
            return time.monotonic()
        if message.get("type") == "event" and message["event"]["type"] == "execution.failed":
            raise RuntimeError(f"run failed: {message['event']['data']}")


async def bench_overhead(
    kasal: Kasal, crew_id: str, llm: ScriptedLLMServer, runs: int
) -> dict[str, Any]:
    async def through_kasal() -> float:
        async with await kasal.socket() as ws:
            started = time.monotonic()
            execution_id = await kasal.start(crew_id)
            return await until(ws, execution_id, "execution.succeeded") - started

    bare = await _bare_crewai(llm)  # warmed by one run, as is each Kasal worker here
    for _ in range(2):
        await through_kasal()
    kasal_times = [await through_kasal() for _ in range(runs)]
    bare_times = [await bare() for _ in range(runs)]
    kasal_s, bare_s = statistics.median(kasal_times), statistics.median(bare_times)
    return {
        "kasal_s": kasal_s,
        "bare_crewai_s": bare_s,
        "ratio": kasal_s / bare_s,
        "runs": runs,
        "aim": "ratio <= 1.10",
    }


async def _bare_crewai(llm: ScriptedLLMServer) -> Callable[[], Awaitable[float]]:
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
        base_url=llm.base_url,
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


async def bench_start_latency(kasal: Kasal, crew_id: str, runs: int) -> dict[str, Any]:
    latencies = []
    for _ in range(runs):
        async with await kasal.socket() as ws:
            started = time.monotonic()
            execution_id = await kasal.start(crew_id)
            latencies.append((await until(ws, execution_id, "task.started") - started) * 1000)
            await until(ws, execution_id, "execution.succeeded")
    return {
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "runs": runs,
        "aim": "p50 < 200 ms",
    }


async def bench_throughput(kasal: Kasal, crew_id: str, count: int) -> dict[str, Any]:
    peak = kasal.server.rss_mb()
    started = time.monotonic()
    ids = await asyncio.gather(*(kasal.start(crew_id) for _ in range(count)))
    statuses: dict[str, str] = {}
    while len(statuses) < count:
        peak = max(peak, kasal.server.rss_mb())
        for execution_id in ids:
            if execution_id not in statuses:
                body = (await kasal.http.get(f"/api/v1/executions/{execution_id}")).json()
                if body["status"] in ("succeeded", "failed", "cancelled", "interrupted"):
                    statuses[execution_id] = body["status"]
        await asyncio.sleep(0.1)
    elapsed = time.monotonic() - started
    succeeded = sum(s == "succeeded" for s in statuses.values())
    return {
        "executions": count,
        "succeeded": succeeded,
        "seconds": elapsed,
        "runs_per_s": count / elapsed,
        "peak_rss_mb": peak,
    }


async def bench_fan_out(
    kasal: Kasal, crew_id: str, llm: ScriptedLLMServer, subscribers: int
) -> dict[str, Any]:
    release = threading.Event()  # the run's LLM calls wait until every subscriber is in
    answer = llm.responder

    def gated(request: RecordedRequest) -> Reply | str | None:
        release.wait(timeout=120)
        return answer(request) if answer else None

    llm.responder = gated
    execution_id = await kasal.start(crew_id)
    sockets = [await kasal.socket() for _ in range(subscribers)]
    for ws in sockets:
        await ws.send(json.dumps({"type": "subscribe", "execution_id": execution_id}))
    await asyncio.sleep(0.5)  # subscriptions registered, replays sent
    joined = datetime.now(UTC)
    delays: list[float] = []

    async def listen(ws: ClientConnection) -> None:
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") != "event":
                continue
            event = message["event"]
            created = datetime.fromisoformat(event["ts"])
            if created > joined:  # live events only, not what the subscription replayed
                delays.append((datetime.now(UTC) - created).total_seconds() * 1000)
            if event["type"] in ("execution.succeeded", "execution.failed"):
                return

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    release.set()
    await asyncio.gather(*listeners)
    llm.responder = answer
    for ws in sockets:
        await ws.close()
    return {
        "subscribers": subscribers,
        "deliveries": len(delays),
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "aim": "p99 < 50 ms",
    }


async def main() -> dict[str, Any]:
    quiet_crewai()
    llm = ScriptedLLMServer()
    llm.start()
    llm.delay = LLM_DELAY_S
    llm.responder = lambda request: text("Thought: done\nFinal Answer: ok")
    data_dir = Path(tempfile.mkdtemp(prefix="kasal-bench-"))
    server = Server(data_dir)
    results: dict[str, Any] = {"llm_delay_ms": LLM_DELAY_S * 1000, "cores": os.cpu_count()}
    try:
        await server.ready()
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as http:
            login = await http.post(
                "/api/v1/auth/login", json={"username": "admin@kasal.local", "password": PASSWORD}
            )
            token = login.json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            await http.post(
                "/api/v1/models",
                json={
                    "key": "bench",
                    "provider": "openai",
                    "model": "gpt-4o-mini",
                    "base_url": llm.base_url,
                },
            )
            await http.post(
                "/api/v1/api-keys",
                json={"name": "openai", "provider": "openai", "value": "sk-bench"},
            )
            crew = await http.post("/api/v1/crews", json=crew_document("bench"))
            crew.raise_for_status()
            crew_id = crew.json()["id"]
            kasal = Kasal(server, http, token)
            console.print("1/5 overhead against bare crewai ...")
            results["overhead"] = await bench_overhead(kasal, crew_id, llm, runs=7)
            console.print(results["overhead"])
            console.print("2/5 start latency ...")
            results["start_latency"] = await bench_start_latency(kasal, crew_id, runs=20)
            console.print(results["start_latency"])
            console.print("3/5 50 executions at once ...")
            results["throughput"] = await bench_throughput(kasal, crew_id, count=50)
            console.print(results["throughput"])
            console.print("4/5 100 WebSocket subscribers ...")
            results["fan_out"] = await bench_fan_out(kasal, crew_id, llm, subscribers=100)
        server.stop()  # its workers would compete with the scale-out processes
        console.print("5/5 scale-out on PostgreSQL ...")
        from benchmarks.scaleout import bench_scale_out  # it reuses this module's helpers

        results["scale_out"] = await bench_scale_out(llm.base_url)
        console.print(results["scale_out"])
    finally:
        server.stop()
        llm.stop()
    return results


def report(results: dict[str, Any]) -> None:
    table = Table(
        title=f"Kasal benchmarks (LLM call: {results['llm_delay_ms']:.0f} ms, "
        f"{results['cores']} cores)"
    )
    for column in ("benchmark", "figure", "value", "aim"):
        table.add_column(column)
    o, s, t, f = (results[k] for k in ("overhead", "start_latency", "throughput", "fan_out"))
    rows = [
        (
            "overhead",
            "Kasal / bare crewai (median)",
            f"{o['ratio']:.3f}  ({o['kasal_s']:.2f} s / {o['bare_crewai_s']:.2f} s)",
            o["aim"],
        ),
        (
            "start latency",
            "POST -> first task.started p50 / p95",
            f"{s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms",
            s["aim"],
        ),
        (
            "throughput",
            "50 at once: succeeded, runs/s, peak RSS",
            f"{t['succeeded']}/50, {t['runs_per_s']:.2f}/s, {t['peak_rss_mb']:.0f} MB",
            "all succeed",
        ),
        (
            "fan-out",
            "100 subscribers: p50 / p99",
            f"{f['p50_ms']:.1f} / {f['p99_ms']:.1f} ms",
            f["aim"],
        ),
    ]
    rows.append(_scale_out_row(results["scale_out"]))
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _scale_out_row(x: dict[str, Any]) -> tuple[str, str, str, str]:
    if "skipped" in x:
        return ("scale-out", "not measured", x["skipped"], "p99 < 50 ms")
    one, two = x["one_worker_runs_per_s"], x["two_workers_runs_per_s"]
    return (
        "scale-out (PostgreSQL)",
        "runs/s 1 worker, 2 workers: median (range); cross-replica p50 / p99",
        f"{one['median']:.2f} ({one['min']:.2f}-{one['max']:.2f}), "
        f"{two['median']:.2f} ({two['min']:.2f}-{two['max']:.2f}); "
        f"{x['cross_replica_p50_ms']:.1f} / {x['cross_replica_p99_ms']:.1f} ms",
        x["aim"],
    )


if __name__ == "__main__":
    outcome = asyncio.run(main())
    report(outcome)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    path = out_dir / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(outcome, indent=2))
    console.print(f"saved {path.relative_to(ROOT)}")
    sys.exit(0 if outcome["throughput"]["succeeded"] == 50 else 1)
