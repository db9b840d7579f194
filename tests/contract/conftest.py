"""A Kasal app for schemathesis, per database backend, with a real user and real rows in it.

Schemathesis drives an ASGI app from its own event-loop thread and starts the app's lifespan
there. The session `app` fixture cannot be used: its engine's connections belong to pytest's
loop. So the fuzzed app gets its own throwaway database (nothing it writes can leak into other
tests) and is reached only through schemathesis' in-process ASGI client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from schemathesis.python import asgi
from starlette.types import Receive, Scope, Send

from kasal.app import create_app
from tests.factories import PASSWORD, crew_document
from tests.support.app import make_settings
from tests.support.database import BACKENDS, throwaway_database
from tests.support.pet_api import DOCUMENT

ADMIN = {"username": "admin@kasal.local", "password": "admin-password"}


class CrashRecorder:
    """The app as schemathesis calls it. After answering an unhandled error with its 500,
    Starlette re-raises the error, which would abort the call; it is kept here instead, so
    the 500 is checked and reported like any other response, together with its cause."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.errors: list[Exception] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            self.errors.append(error)


@dataclass(frozen=True)
class FuzzTarget:
    """The running app, the token to call it with, and ids of rows that really exist."""

    app: CrashRecorder
    token: str = field(repr=False)
    path_ids: dict[str, str]


def call(
    client: requests.Session, method: str, url: str, token: str, status: int, **kwargs: Any
) -> Any:
    """One seeding request; anything but the expected status stops the run with the body."""
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    response = client.request(method, url, headers=headers, **kwargs)
    assert response.status_code == status, f"{method} {url}: {response.text}"
    return response.json() if response.content else None


def _sign_in(client: requests.Session, username: str, password: str) -> str:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def seed(client: requests.Session) -> tuple[str, dict[str, str]]:
    """A fuzzing user (an instance admin, so admin-only bodies get validated too) holding a
    personal access token, a team with a second member, and one of each resource in it.

    Returns the token and, per path parameter name, the id of a real row: schemathesis
    substitutes those for some generated values, so some requests reach real rows.
    """
    admin = _sign_in(client, **ADMIN)
    fuzzer = call(
        client,
        "POST",
        "/api/v1/users",
        admin,
        201,
        json={
            "email": "fuzzer@example.com",
            "password": PASSWORD,
            "name": "Fuzzer",
            "is_admin": True,
        },
    )
    other = call(
        client,
        "POST",
        "/api/v1/users",
        admin,
        201,
        json={"email": "other@example.com", "password": PASSWORD, "name": "Other"},
    )
    jwt = _sign_in(client, fuzzer["email"], PASSWORD)
    token = call(client, "POST", "/api/v1/auth/tokens", jwt, 201, json={"name": "fuzzing"})["token"]
    team = call(client, "POST", "/api/v1/groups", token, 201, json={"name": "Team"})["id"]
    member = {"email": other["email"], "role": "editor"}
    call(client, "POST", f"/api/v1/groups/{team}/members", token, 201, json=member)
    crew = call(client, "POST", "/api/v1/crews", token, 201, json=crew_document("Seeded"))
    run = {"crew_id": crew["id"], "inputs": {"topic": "x", "audience": "y"}}
    execution = call(client, "POST", "/api/v1/executions", token, 202, json=run)
    agent = call(client, "POST", "/api/v1/agents", token, 201, json={"role": "Seeded"})
    task = call(client, "POST", "/api/v1/tasks", token, 201, json={"name": "Seeded"})
    secret = {"name": "Seeded", "provider": "openai", "value": "sk-seeded"}
    api_key = call(client, "POST", "/api/v1/api-keys", token, 201, json=secret)
    tool = call(client, "GET", "/api/v1/tools", token, 200)["items"][0]
    document = {"name": "seeded", "document": DOCUMENT, "base_url": "https://api.example.com"}
    source = call(client, "POST", "/api/v1/openapi-sources", token, 201, json=document)
    return token, {
        "crew_id": crew["id"],
        "version": "1",
        "execution_id": execution["id"],
        "agent_id": agent["id"],
        "task_id": task["id"],
        "key_id": api_key["id"],
        "key": "demo",
        "tool_id": tool["id"],
        "source_id": source["id"],
        "group_id": team,
        # The other user, never the fuzzer: a PATCH of the fuzzer itself could deactivate the
        # very account the run is authenticated as.
        "user_id": other["id"],
        # No "token_id": DELETE /auth/tokens/{its id} would revoke the run's own token.
    }


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzTarget]:
    backend: str = request.param
    tmp: Path = tmp_path_factory.mktemp(f"contract-{backend}")
    with throwaway_database(backend, tmp) as url:
        # Failed fuzzed logins must not lock the fuzzing IP out: the limiter has its own tests.
        settings = make_settings(url, tmp / "data", login_ip_max_failures=1_000_000)
        app = CrashRecorder(create_app(settings))
        with asgi.get_client(app) as client:  # starts the lifespan on schemathesis' loop
            token, path_ids = seed(client)
        try:
            yield FuzzTarget(app, token, path_ids)
        finally:
            asgi.shutdown_lifespans()  # dispose of the engine before the database is dropped
