"""A local MLflow-compatible tracking server: real HTTP, the REST endpoints mlflow-tracing's
client calls to log a trace, with the response shapes of MLflow's own REST store, and a
record of everything it receives.

- `GET  /api/2.0/mlflow/experiments/get-by-name`: the experiment, or 404
  `RESOURCE_DOES_NOT_EXIST` (which the client reads as "none").
- `POST /api/2.0/mlflow/experiments/create`: `{"experiment_id"}`; 400
  `RESOURCE_ALREADY_EXISTS` for a name taken.
- `POST /api/3.0/mlflow/traces` (StartTraceV3): the trace info back, with the
  `mlflow.artifactLocation` tag naming where the client uploads the spans.
- `PUT  /api/2.0/mlflow-artifacts/artifacts/<path>`: the artifact proxy (traces.json).

`fail_with(500)` makes every request fail like an overloaded server until `recover()`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StoredTrace:
    experiment_id: str
    info: dict[str, Any]
    data: dict[str, Any] | None = None  # the uploaded traces.json

    @property
    def spans(self) -> list[dict[str, Any]]:
        return list((self.data or {}).get("spans", []))


@dataclass
class MlflowServer:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    traces: dict[str, StoredTrace] = field(default_factory=dict)
    failing: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Where a trace's spans go (the `mlflow.artifactLocation` tag): the artifact proxy here;
    # a Databricks workspace names its own storage (see fake_workspace).
    trace_artifacts: str = "mlflow-artifacts:/{experiment_id}/traces/{trace_id}/artifacts"

    def fail_with(self, status: int) -> None:
        self.failing = status

    def recover(self) -> None:
        self.failing = None

    def traces_in(self, experiment_name: str) -> list[StoredTrace]:
        experiment_id = self.experiments.get(experiment_name)
        return [t for t in self.traces.values() if t.experiment_id == experiment_id]

    def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.failing is not None:
            return self.failing, {"error_code": "INTERNAL_ERROR", "message": "Overloaded"}
        parts = urlsplit(path)
        if method == "GET" and parts.path == "/api/2.0/mlflow/experiments/get-by-name":
            name = parse_qs(parts.query).get("experiment_name", [""])[0]
            return self._experiment(name)
        if method == "POST" and parts.path == "/api/2.0/mlflow/experiments/create":
            return self._create(json.loads(body)["name"])
        if method == "POST" and parts.path == "/api/3.0/mlflow/traces":
            return self._start_trace(json.loads(body)["trace"]["trace_info"])
        if method == "PUT" and parts.path.startswith(ARTIFACTS):
            return self._artifact(parts.path.removeprefix(ARTIFACTS), body)
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No {method} {parts.path}"}

    def _experiment(self, name: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            experiment_id = self.experiments.get(name)
        if experiment_id is None:
            message = f"Could not find experiment with name '{name}'"
            return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": message}
        experiment = {
            "experiment_id": experiment_id,
            "name": name,
            "artifact_location": f"mlflow-artifacts:/{experiment_id}",
            "lifecycle_stage": "active",
            "last_update_time": 0,
            "creation_time": 0,
            "tags": [],
        }
        return 200, {"experiment": experiment}

    def _create(self, name: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if name in self.experiments:
                message = f"Experiment '{name}' already exists."
                return 400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": message}
            experiment_id = str(len(self.experiments) + 1)
            self.experiments[name] = experiment_id
        return 200, {"experiment_id": experiment_id}

    def _start_trace(self, info: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        experiment_id = info["trace_location"]["mlflow_experiment"]["experiment_id"]
        trace_id = info["trace_id"]
        location = self.trace_artifacts.format(experiment_id=experiment_id, trace_id=trace_id)
        stored = {**info, "tags": {**info.get("tags", {}), "mlflow.artifactLocation": location}}
        with self.lock:
            self.traces[trace_id] = StoredTrace(experiment_id, stored)
        return 200, {"trace": {"trace_info": stored}}

    def _artifact(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        experiment_id, _, rest = path.partition("/traces/")
        trace_id, _, name = rest.partition("/artifacts/")
        with self.lock:
            trace = self.traces.get(trace_id)
            if trace is None or trace.experiment_id != experiment_id or name != "traces.json":
                return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": path}
            trace.data = json.loads(body)
        return 200, {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state = self.server.state
        with state.lock:
            state.requests.append(Received(self.command, self.path, dict(self.headers), body))
        status, payload = state.handle(self.command, self.path, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `requests` instead."""


class _Server(ThreadingHTTPServer):
    state: MlflowServer


@contextmanager
def mlflow_server() -> Iterator[MlflowServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = MlflowServer(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
