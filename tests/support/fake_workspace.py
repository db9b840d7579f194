"""A fake Databricks workspace: the REST endpoints the `databricks_*` tools call, answered in
the shapes of databricks-sdk 0.156.0's service modules (dashboards, sql, vectorsearch,
files, jobs), on a real loopback HTTP server.

It accepts only the tokens it is given (any other gets the workspace's 401), records every
request with the bearer token it carried, issues OAuth machine-to-machine tokens to the
service principals it is given (`clients`: the OIDC discovery document and the token
endpoint, as a workspace serves them), and keeps a little state: a Genie space whose
conversations remember their questions, a warehouse that answers read statements from one
table, a vector index, a Unity Catalog volume (files in memory) and jobs whose runs are
still running at the first look and finished at the next.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.support.mlflow_server import MlflowServer
from tests.support.web_servers import Answer, LocalServer, Recorded

SPACE_ID = "01ef0000sales0space"
WAREHOUSE_ID = "4b9b953939869799"
INDEX_NAME = "main.docs.faq_index"
VOLUME = "/Volumes/main/docs/files"
GENIE_SQL = "SELECT region, SUM(amount) AS revenue FROM main.sales.orders GROUP BY region"
COLUMNS = [("region", "STRING"), ("revenue", "DECIMAL")]
ROWS = [["north", "120.50"], ["south", "98.00"], ["east", "77.25"]]
FAQ = [
    {"id": 1, "question": "How do I reset my password?", "category": "account"},
    {"id": 2, "question": "How are invoices sent?", "category": "billing"},
    {"id": 3, "question": "Can I pay invoices by card?", "category": "billing"},
]
JOBS = {101: "nightly-refresh", 102: "weekly-report"}
WORKSPACE_ID = "1234567890123456"
TRACE_ARTIFACTS = "dbfs:/databricks/mlflow-tracking/{experiment_id}/{trace_id}/artifacts"
PRESIGNED = "/presigned-upload/"  # the cloud storage a presigned URL points to


def _json(status: int, body: Any) -> Answer:
    return status, "application/json", json.dumps(body).encode(), {}


def _error(status: int, code: str, message: str) -> Answer:
    return _json(status, {"error_code": code, "message": message})


def bearer(request: Recorded) -> str | None:
    """The token a request carried (`Authorization: Bearer …`), if any."""
    value = request.headers.get("authorization", "")
    return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


def _statement(rows: list[list[str]], row_limit: int | None = None) -> dict[str, Any]:
    """A StatementResponse (INLINE, JSON_ARRAY) of the sales table."""
    shown = rows[:row_limit] if row_limit else rows
    columns = [
        {"name": name, "type_name": kind, "type_text": kind, "position": i}
        for i, (name, kind) in enumerate(COLUMNS)
    ]
    return {
        "statement_id": str(uuid.uuid4()),
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns), "columns": columns},
            "total_row_count": len(shown),
            "total_chunk_count": 1,
            "truncated": len(shown) < len(rows),
        },
        "result": {
            "chunk_index": 0,
            "row_offset": 0,
            "row_count": len(shown),
            "data_array": shown,
        },
    }


Handler = Callable[[Recorded, re.Match[str]], Answer]


@dataclass
class FakeWorkspace:
    tokens: set[str]
    clients: dict[str, str] = field(default_factory=dict)  # service principal id → secret
    issued: dict[str, str] = field(default_factory=dict)  # OAuth token → client id
    mlflow: MlflowServer = field(  # the workspace's tracking; traces' spans in its storage
        default_factory=lambda: MlflowServer(trace_artifacts=TRACE_ARTIFACTS)
    )
    files: dict[str, bytes] = field(default_factory=dict)
    conversations: dict[str, list[str]] = field(default_factory=dict)  # id → questions
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    looks: dict[int, int] = field(default_factory=dict)  # run id → times it was read
    server: LocalServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = LocalServer({}, fallback=self._answer)
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(pattern), handler)
            for method, pattern, handler in (
                ("POST", r"/api/2\.0/genie/spaces/([^/]+)/start-conversation", self._start),
                ("POST", r"/api/2\.0/genie/spaces/([^/]+)/conversations/([^/]+)/messages",
                 self._follow_up),
                ("GET", r"/api/2\.0/genie/spaces/([^/]+)/conversations/([^/]+)/messages/([^/]+)",
                 self._message),
                ("GET", r"/api/2\.0/genie/spaces/([^/]+)/conversations/([^/]+)/messages/([^/]+)"
                 r"/attachments/([^/]+)/query-result", self._query_result),
                ("POST", r"/api/2\.0/sql/statements/?", self._execute),
                ("POST", r"/api/2\.0/vector-search/indexes/([^/]+)/query", self._vector_query),
                ("GET", r"/api/2\.0/fs/directories(/.*)", self._list_directory),
                ("GET", r"/api/2\.0/fs/files(/.*)", self._download),
                ("PUT", r"/api/2\.0/fs/files(/.*)", self._upload),
                ("GET", r"/api/2\.2/jobs/list", self._jobs),
                ("POST", r"/api/2\.2/jobs/run-now", self._run_now),
                ("GET", r"/api/2\.2/jobs/runs/get", self._get_run),
                ("GET", r"/api/2\.2/jobs/runs/get-output", self._run_output),
            )
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[Recorded]:
        return self.server.requests

    def api_requests(self) -> list[Recorded]:
        """The API calls, without the SDK's unauthenticated probe of the host's metadata."""
        return [r for r in self.requests if r.path.startswith("/api/")]

    def _answer(self, request: Recorded) -> Answer:
        path = unquote(request.path)
        if path == "/.well-known/databricks-config":  # the SDK asks this before anything
            return _json(200, {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": WORKSPACE_ID})
        if path == "/oidc/.well-known/oauth-authorization-server":
            return _json(
                200,
                {
                    "issuer": f"{self.url}/oidc",
                    "authorization_endpoint": f"{self.url}/oidc/v1/authorize",
                    "token_endpoint": f"{self.url}/oidc/v1/token",
                },
            )
        if path == "/oidc/v1/token" and request.method == "POST":
            return self._oauth_token(request)
        if path.startswith(PRESIGNED) and request.method == "PUT":  # signed: no bearer
            return self._trace_upload(path.removeprefix(PRESIGNED), request.body)
        if bearer(request) not in self.tokens:
            return _error(401, "UNAUTHENTICATED", "Invalid access token.")
        if upload := re.fullmatch(
            r"/api/2\.0/mlflow/traces/([^/]+)/credentials-for-data-upload", path
        ):
            return self._upload_credentials(upload[1])
        if path.startswith(("/api/2.0/mlflow", "/api/3.0/mlflow")):
            return self._mlflow(request)
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return handler(request, match)
        return _error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{request.method} {path}'")

    # OAuth (machine to machine: client credentials, the client in a Basic header)

    def _oauth_token(self, request: Recorded) -> Answer:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        basic = request.headers.get("authorization", "").removeprefix("Basic ")
        client_id, _, secret = base64.b64decode(basic).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if self.clients.get(client_id) != secret:
            return _json(401, {"error": "invalid_client", "error_description": "Client auth"})
        token = f"eyJ-sp-{client_id}-{uuid.uuid4().hex}"
        self.tokens.add(token)
        self.issued[token] = client_id
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return _json(200, {**answer, "scope": "all-apis"})

    # MLflow tracking (the workspace's experiments and traces)

    def _mlflow(self, request: Recorded) -> Answer:
        query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
        path = f"{request.path}?{query}" if query else request.path
        status, body = self.mlflow.handle(request.method, path, request.body)
        return _json(status, body)

    def _upload_credentials(self, trace_id: str) -> Answer:
        if trace_id not in self.mlflow.traces:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Trace {trace_id} not found.")
        signed = f"{self.url}{PRESIGNED}{trace_id}/traces.json?X-Amz-Signature=fake"
        return _json(200, {"credential_info": {"type": "AWS_PRESIGNED_URL", "signed_uri": signed}})

    def _trace_upload(self, path: str, body: bytes) -> Answer:
        trace_id, _, name = path.partition("/")
        trace = self.mlflow.traces.get(trace_id)
        if trace is None or name != "traces.json":
            return 404, "application/xml", b"<Error><Code>NoSuchKey</Code></Error>", {}
        trace.data = json.loads(body)
        return 200, "application/xml", b"", {}

    # Genie (dashboards)

    def _message_body(self, conversation: str, message: str, status: str) -> dict[str, Any]:
        questions = self.conversations[conversation]
        body: dict[str, Any] = {
            "id": message,
            "message_id": message,
            "conversation_id": conversation,
            "space_id": SPACE_ID,
            "content": questions[-1],
            "status": status,
        }
        if status == "COMPLETED":
            body["attachments"] = [
                {
                    "attachment_id": f"text-{message}",
                    "text": {"content": f"Revenue by region (question {len(questions)})."},
                },
                {
                    "attachment_id": f"query-{message}",
                    "query": {
                        "query": GENIE_SQL,
                        "description": "The total order amount of each region.",
                        "statement_id": str(uuid.uuid4()),
                        "query_result_metadata": {"row_count": len(ROWS)},
                    },
                },
            ]
        return body

    def _space(self, space: str) -> Answer | None:
        if space != SPACE_ID:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Genie space {space} not found.")
        return None

    def _start(self, request: Recorded, match: re.Match[str]) -> Answer:
        if missing := self._space(match[1]):
            return missing
        conversation, message = uuid.uuid4().hex, uuid.uuid4().hex
        self.conversations[conversation] = [request.json()["content"]]
        return _json(
            200,
            {
                "conversation_id": conversation,
                "message_id": message,
                "conversation": {"id": conversation, "space_id": SPACE_ID, "title": "Sales"},
                "message": self._message_body(conversation, message, "SUBMITTED"),
            },
        )

    def _follow_up(self, request: Recorded, match: re.Match[str]) -> Answer:
        if missing := self._space(match[1]):
            return missing
        if match[2] not in self.conversations:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Conversation {match[2]} not found.")
        self.conversations[match[2]].append(request.json()["content"])
        return _json(200, self._message_body(match[2], uuid.uuid4().hex, "SUBMITTED"))

    def _message(self, request: Recorded, match: re.Match[str]) -> Answer:
        return _json(200, self._message_body(match[2], match[3], "COMPLETED"))

    def _query_result(self, request: Recorded, match: re.Match[str]) -> Answer:
        return _json(200, {"statement_response": _statement(ROWS)})

    # SQL statement execution

    def _execute(self, request: Recorded, match: re.Match[str]) -> Answer:
        body = request.json()
        if body.get("warehouse_id") != WAREHOUSE_ID:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", "No SQL warehouse with this id.")
        statement = body["statement"].lower()
        if "no_such_table" in statement:
            failed = {
                "state": "FAILED",
                "error": {
                    "error_code": "BAD_REQUEST",
                    "message": "[TABLE_OR_VIEW_NOT_FOUND] The table `no_such_table` cannot "
                    "be found.",
                },
                "sql_state": "42P01",
            }
            return _json(200, {"statement_id": str(uuid.uuid4()), "status": failed})
        if "long_running" in statement:  # on_wait_timeout CANCEL: the warehouse stopped it
            return _json(200, {"statement_id": str(uuid.uuid4()), "status": {"state": "CANCELED"}})
        return _json(200, _statement(ROWS, body.get("row_limit")))

    # Vector Search

    def _vector_query(self, request: Recorded, match: re.Match[str]) -> Answer:
        if match[1] != INDEX_NAME:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Index {match[1]} does not exist.")
        body = request.json()
        filters = json.loads(body.get("filters_json") or "{}")
        words = set(body["query_text"].lower().split())
        rows = [row for row in FAQ if all(row.get(k) == v for k, v in filters.items())]
        scored = sorted(
            ((len(words & set(str(row["question"]).lower().split())) / 10, row) for row in rows),
            key=lambda pair: (-pair[0], pair[1]["id"]),
        )[: body.get("num_results", 10)]
        columns = [*body["columns"], "score"]
        data = [[row.get(c) for c in body["columns"]] + [0.5 + score] for score, row in scored]
        return _json(
            200,
            {
                "manifest": {
                    "column_count": len(columns),
                    "columns": [{"name": c} for c in columns],
                },
                "result": {"row_count": len(data), "data_array": data},
            },
        )

    # Files (Unity Catalog volumes)

    def _list_directory(self, request: Recorded, match: re.Match[str]) -> Answer:
        folder = match[1].rstrip("/")
        children: dict[str, dict[str, Any]] = {}
        for path, content in self.files.items():
            if not path.startswith(folder + "/"):
                continue
            name, *rest = path[len(folder) + 1 :].split("/")
            child = f"{folder}/{name}"
            if rest:
                children[name] = {"path": child + "/", "name": name, "is_directory": True}
            else:
                children[name] = {
                    "path": child,
                    "name": name,
                    "is_directory": False,
                    "file_size": len(content),
                    "last_modified": 1764806400000,
                }
        if not children and folder != VOLUME:
            return _error(404, "NOT_FOUND", f"The directory {folder} does not exist.")
        return _json(200, {"contents": [children[n] for n in sorted(children)]})

    def _download(self, request: Recorded, match: re.Match[str]) -> Answer:
        content = self.files.get(match[1])
        if content is None:
            return _error(404, "NOT_FOUND", "The file being accessed is not found.")
        headers = {"last-modified": "Thu, 04 Dec 2025 00:00:00 GMT"}
        return 200, "application/octet-stream", content, headers

    def _upload(self, request: Recorded, match: re.Match[str]) -> Answer:
        path = match[1]
        if not path.startswith(VOLUME + "/"):
            return _error(403, "PERMISSION_DENIED", f"No write permission on {path}.")
        if path in self.files and request.query.get("overwrite") != ["true"]:
            return _error(409, "ALREADY_EXISTS", f"The file {path} already exists.")
        self.files[path] = request.body
        return 204, "application/json", b"", {}

    # Jobs

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        name = (request.query.get("name") or [None])[0]
        jobs = [
            {
                "job_id": job_id,
                "settings": {"name": job_name},
                "created_time": 1764806400000,
                "creator_user_name": "ops@example.com",
            }
            for job_id, job_name in JOBS.items()
            if name is None or job_name == name
        ]
        return _json(200, {"jobs": jobs, "has_more": False})

    def _run_now(self, request: Recorded, match: re.Match[str]) -> Answer:
        body = request.json()
        job_id = body.get("job_id")
        if job_id not in JOBS:
            return _error(400, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.")
        run_id = 9000 + len(self.runs) + 1
        self.runs[run_id] = {"job_id": job_id, "parameters": body.get("job_parameters") or {}}
        return _json(200, {"run_id": run_id, "number_in_job": run_id})

    def _get_run(self, request: Recorded, match: re.Match[str]) -> Answer:
        run_id = int(request.query["run_id"][0])
        run = self.runs[run_id]
        self.looks[run_id] = self.looks.get(run_id, 0) + 1
        done = self.looks[run_id] > 1
        state = (
            {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS", "state_message": ""}
            if done
            else {"life_cycle_state": "RUNNING", "state_message": "In run"}
        )
        return _json(
            200,
            {
                "run_id": run_id,
                "job_id": run["job_id"],
                "run_name": JOBS[run["job_id"]],
                "state": state,
                "job_parameters": [{"name": k, "value": v} for k, v in run["parameters"].items()],
                "tasks": [{"task_key": "main", "run_id": run_id * 10, "state": state}],
                "run_page_url": f"{self.url}/jobs/{run['job_id']}/runs/{run_id}",
            },
        )

    def _run_output(self, request: Recorded, match: re.Match[str]) -> Answer:
        run = self.runs[int(request.query["run_id"][0]) // 10]
        result = json.dumps({"refreshed": True, **run["parameters"]})
        return _json(200, {"notebook_output": {"result": result, "truncated": False}})


@contextmanager
def fake_workspace(*tokens: str, clients: dict[str, str] | None = None) -> Iterator[FakeWorkspace]:
    """A running fake workspace accepting `tokens`, and issuing tokens to `clients`."""
    workspace = FakeWorkspace(set(tokens), dict(clients or {}))
    workspace.server.start()
    try:
        yield workspace
    finally:
        workspace.server.stop()
