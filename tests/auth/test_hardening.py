"""Tokens must expire, every 401 names its scheme, failed-login entries expire."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt

from kasal.auth.ratelimit import LoginLimiter
from kasal.core.errors import RateLimited
from kasal.core.security import JWT_ALGORITHM, JWT_ISSUER
from tests.factories import login, make_user
from tests.support.app import TEST_JWT_SECRET


def signed(**claims: object) -> dict[str, str]:
    token = jwt.encode(claims, TEST_JWT_SECRET, algorithm=JWT_ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("missing", ["exp", "sub", "iat", "iss"])
async def test_a_jwt_missing_a_required_claim_is_refused(
    app: FastAPI, client: httpx.AsyncClient, missing: str
) -> None:
    user = await make_user(app)
    now = int(time.time())
    claims = {"sub": str(user.id), "iss": JWT_ISSUER, "iat": now, "exp": now + 60}
    complete = await client.get("/api/v1/users/me", headers=signed(**claims, typ="access"))
    assert complete.status_code == 200, complete.text
    del claims[missing]
    response = await client.get("/api/v1/users/me", headers=signed(**claims, typ="access"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_every_401_carries_www_authenticate(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await make_user(app)
    answers = [
        await client.get("/api/v1/users/me"),
        await client.get("/api/v1/users/me", headers={"Authorization": "Bearer nonsense"}),
        await client.get("/api/v1/users/me", headers={"Authorization": "Basic abc"}),
        await login(client, user.email, "wrong password"),
        await client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"}),
    ]
    for response in answers:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"


def test_failed_login_entries_expire_with_their_window() -> None:
    limiter = LoginLimiter(max_per_account=2, max_per_ip=100, window_s=1)
    for _ in range(2):
        limiter.record_failure("10.0.0.1", "Someone@example.com")
    with pytest.raises(RateLimited) as refused:
        limiter.check("10.0.0.9", "someone@example.com")
    assert refused.value.retry_after_s == 1
    time.sleep(1.1)  # let the window pass: not a timing assertion
    limiter.check("10.0.0.9", "someone@example.com")


def test_a_success_forgives_the_account_but_not_the_address() -> None:
    limiter = LoginLimiter(max_per_account=2, max_per_ip=3, window_s=60)
    for _ in range(2):
        limiter.record_failure("10.0.0.1", "someone@example.com")
    limiter.record_success("someone@example.com")
    limiter.check("10.0.0.1", "someone@example.com")
    limiter.record_failure("10.0.0.1", "other@example.com")
    with pytest.raises(RateLimited):
        limiter.check("10.0.0.1", "third@example.com")
