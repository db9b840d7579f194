"""Kasal as a Databricks App: the manifest and the bundle, App detection, and Lakebase.

The App test runs the manifest's own command with the environment the platform gives an
App: its port, its service principal, and a Lakebase database resource. Lakebase is a
PostgreSQL that takes the principal's OAuth token as the password; here a private
PostgreSQL checks the password, and a local stand-in of the workspace's OAuth endpoints
issues the tokens. The token then changes under a running Kasal, which keeps serving.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet

from kasal.core.config import Settings
from tests.support.pg_cluster import password_cluster
from tests.support.web_servers import Answer, Recorded, serving

ROOT = Path(__file__).resolve().parents[1]
APP_USER = "3f1c5b8e-app-principal"  # Lakebase roles of service principals are their ids
USER = {"X-Forwarded-Email": "ana@example.com", "X-Forwarded-Access-Token": "user-obo-token"}


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "app.yaml").read_text())


def test_the_manifest_and_the_bundle_agree_on_the_app_and_its_resources() -> None:
    app = _manifest()
    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())

    assert app["command"] == ["python", "-m", "kasal", "serve"]
    kasal = bundle["resources"]["apps"]["kasal"]
    assert kasal["source_code_path"] == "."
    resources = {resource["name"] for resource in kasal["resources"]}
    assert {e["valueFrom"] for e in app["env"] if "valueFrom" in e} == {"jwt-secret", "secret-keys"}
    assert {"jwt-secret", "secret-keys", "database"} <= resources
    assert "serving.serving-endpoints" in kasal["user_api_scopes"]
    assert set(bundle["targets"]) == {"dev", "prod"}
    assert "frontend/dist/**" in bundle["sync"]["include"]


def test_an_app_is_detected_from_the_platform_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).auth_mode == "local"

    monkeypatch.setenv("DATABRICKS_APP_PORT", "8123")
    monkeypatch.setenv("DATABRICKS_APP_NAME", "kasal-dev")
    app = Settings(_env_file=None)
    assert (app.port, app.host, app.auth_mode) == (8123, "0.0.0.0", "databricks")  # noqa: S104
    assert app.db_url.startswith("sqlite")  # no database resource: the data dir's SQLite

    monkeypatch.setenv("KASAL_PORT", "9000")  # what the operator sets explicitly wins
    assert Settings(_env_file=None).port == 9000

    for name, value in {
        "PGHOST": "inst.database.example",
        "PGDATABASE": "kasal",
        "PGUSER": "a@b",
        "PGPORT": "5432",
    }.items():
        monkeypatch.setenv(name, value)
    lakebase = Settings(_env_file=None)
    assert lakebase.db_url == (
        "postgresql+psycopg://a%40b@inst.database.example:5432/kasal?sslmode=require"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Workspace:
    """The workspace's OAuth endpoints: discovery, and client-credentials tokens that live
    ten seconds (within the SDK's renewal margin, so it asks again for each connection)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.url = ""

    def routes(self) -> dict:
        def answer(body: dict) -> Answer:
            return 200, "application/json", json.dumps(body).encode(), {}

        def token(request: Recorded) -> Answer:
            assert b"grant_type=client_credentials" in request.body
            return answer({"access_token": self.token, "token_type": "Bearer", "expires_in": 10})

        return {
            "/.well-known/databricks-config": lambda _: answer(
                {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": "1234"}
            ),
            "/oidc/.well-known/oauth-authorization-server": lambda _: answer(
                {
                    "authorization_endpoint": f"{self.url}/oidc/v1/authorize",
                    "token_endpoint": f"{self.url}/oidc/v1/token",
                }
            ),
            "/oidc/v1/token": token,
        }


def _app_environment(port: int, workspace: str, pg_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KASAL_", "DATABRICKS_"))}
    resources = {"jwt-secret": "j" * 40, "secret-keys": Fernet.generate_key().decode()}
    for entry in _manifest()["env"]:
        env[entry["name"]] = entry["value"] if "value" in entry else resources[entry["valueFrom"]]
    env.update(
        DATABRICKS_APP_PORT=str(port),
        DATABRICKS_APP_NAME="kasal-test",
        DATABRICKS_HOST=workspace,
        DATABRICKS_CLIENT_ID="app-client-id",
        DATABRICKS_CLIENT_SECRET="app-client-secret",
        PGHOST="127.0.0.1",
        PGPORT=str(pg_port),
        PGDATABASE="kasal",
        PGUSER=APP_USER,
        PGSSLMODE="disable",
        KASAL_WORKERS="0",  # no warm workers: this test serves, it runs nothing
    )
    return env


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the app did not answer /health:\n{log.read_text()[-3000:]}")


def test_the_app_command_serves_on_lakebase_while_its_token_rotates(tmp_path: Path) -> None:
    workspace = Workspace("token-one")
    with (
        password_cluster(APP_USER, "token-one") as cluster,
        serving(workspace.routes()) as oauth,
    ):
        workspace.url = oauth.url
        port = _free_port()
        log = tmp_path / "app.log"
        command = [sys.executable, *_manifest()["command"][1:]]  # "python" of the App's venv
        with log.open("w") as out:
            process = subprocess.Popen(  # noqa: S603 (the manifest's own command)
                command,
                cwd=tmp_path,
                env=_app_environment(port, oauth.url, cluster.port),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, log)
            with httpx.Client(base_url=url, timeout=10) as client:
                assert client.get("/api/v1/crews").status_code == 401  # Databricks auth:
                assert client.get("/api/v1/crews", headers=USER).status_code == 200

                # The token changes, and every connection Kasal holds is cut: each new one
                # must sign in with the new token, and no request may fail meanwhile.
                with cluster.connect("token-one") as admin:
                    admin.execute(f"ALTER ROLE \"{APP_USER}\" PASSWORD 'token-two'")
                    workspace.token = "token-two"
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = 'kasal'"
                    )
                statuses = [client.get("/api/v1/crews", headers=USER).status_code for _ in range(5)]
                assert statuses == [200] * 5
                with pytest.raises(Exception, match="password authentication failed"):
                    cluster.connect("token-one")  # the old token is really refused now
        finally:
            process.terminate()
            process.wait(timeout=30)
        output = log.read_text()
        for secret in ("token-one", "token-two", "app-client-secret", "user-obo-token"):
            assert secret not in output
        assert len([r for r in oauth.requests if r.path == "/oidc/v1/token"]) >= 2
