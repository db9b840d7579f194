"""Helpers for client, SDK and CLI tests: a user with a personal access token on the live server."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Actor, make_actor, seed_database
from tests.support.server import LiveServer


@dataclass(frozen=True)
class Account:
    url: str
    token: str  # a personal access token, as scripts use
    actor: Actor


async def scripting_account(app: FastAPI, client: httpx.AsyncClient, live: LiveServer) -> Account:
    """A fresh user (with the seeded catalog, so `demo` exists) and a personal token."""
    await seed_database(app)
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post(
            "/api/v1/auth/tokens", json={"name": "tests"}, headers=actor.headers
        )
    assert response.status_code == 201, response.text
    return Account(live.url, response.json()["token"], actor)


def isolate_login(monkeypatch: pytest.MonkeyPatch, config_dir: object) -> None:
    """No login from the machine running the tests: an empty config dir, no KASAL_URL/TOKEN."""
    monkeypatch.setenv("KASAL_CONFIG_DIR", str(config_dir))
    monkeypatch.delenv("KASAL_URL", raising=False)
    monkeypatch.delenv("KASAL_TOKEN", raising=False)
