"""The general rate limit: per credential and per address, 429 with Retry-After, health exempt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from tests.support.app import make_settings

LIMIT = 3
Caller = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def limited_app(app: FastAPI, settings: Settings, tmp_path: Path) -> FastAPI:
    """A second app on the test database, borrowing the started app's sessions."""
    limited = create_app(make_settings(settings.db_url, tmp_path, rate_limit=f"{LIMIT}/minute"))
    limited.state.sessionmaker = app.state.sessionmaker
    return limited


@pytest.fixture
def caller(limited_app: FastAPI) -> Caller:
    @asynccontextmanager
    async def from_address(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=limited_app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http

    return from_address


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_the_limit_answers_429_with_retry_after(caller: Caller) -> None:
    async with caller("10.0.0.1") as http:
        for _ in range(LIMIT):
            assert (await http.get("/api/v1/nothing")).status_code == 404
        limited = await http.get("/api/v1/nothing")
        assert_limited(limited)
        assert "x-request-id" in limited.headers
        assert "content-security-policy" in limited.headers
        for _ in range(2 * LIMIT):
            assert (await http.get("/health")).status_code == 200


async def test_tokens_and_addresses_are_limited_independently(caller: Caller) -> None:
    async with caller("10.0.0.1") as http, caller("10.0.0.2") as other:
        for _ in range(LIMIT):
            assert (await http.get("/api/v1/nothing", headers=bearer("alpha"))).status_code == 404
        assert_limited(await http.get("/api/v1/nothing", headers=bearer("alpha")))
        assert_limited(await other.get("/api/v1/nothing", headers=bearer("alpha")))
        # The address itself, and another token from it, still have their own budgets.
        assert (await http.get("/api/v1/nothing", headers=bearer("beta"))).status_code == 404
        for _ in range(LIMIT):
            assert (await http.get("/api/v1/nothing")).status_code == 404
        assert_limited(await http.get("/api/v1/nothing"))
        assert (await other.get("/api/v1/nothing")).status_code == 404


async def test_rejected_credentials_spend_the_address_budget(caller: Caller) -> None:
    async with caller("10.0.0.3") as http:
        for attempt in range(LIMIT):
            made_up = bearer(f"made-up-{attempt}")
            assert (await http.get("/api/v1/users/me", headers=made_up)).status_code == 401
        assert_limited(await http.get("/api/v1/users/me", headers=bearer("made-up-next")))
        assert_limited(await http.get("/api/v1/nothing"))
