"""Signing in, token rotation and reuse detection, logout, bad tokens, rate limits."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from jose import jwt

from kasal.core.security import create_access_token
from tests.factories import PASSWORD, login, make_user
from tests.support.app import TEST_JWT_SECRET


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_with_json_returns_tokens_and_sets_the_refresh_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    response = await login(client, user.email)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    cookie = response.headers["set-cookie"]
    assert f"kasal_refresh={body['refresh_token']}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/api/v1/auth" in cookie
    me = await client.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.json()["email"] == user.email


async def test_login_accepts_the_oauth2_password_form(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    response = await client.post(
        "/api/v1/auth/login", data={"username": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text


async def test_wrong_password_and_unknown_user_look_the_same(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    wrong = await login(client, user.email, "not the password")
    unknown = await login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


async def test_login_validation_error_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["password"]


async def test_refresh_rotates_via_body_and_via_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    first = (await login(client, user.email)).json()
    by_body = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert by_body.status_code == 200
    second = by_body.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The cookie jar now holds the rotated token; an empty body uses it.
    by_cookie = await client.post("/api/v1/auth/refresh")
    assert by_cookie.status_code == 200, by_cookie.text
    third = by_cookie.json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    me = await client.get("/api/v1/users/me", headers=bearer(third["access_token"]))
    assert me.status_code == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    first = (await login(client, user.email)).json()
    client.cookies.clear()
    second = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    # The legitimate holder's newer token is dead too: the thief and the owner both sign in again.
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401


async def test_other_sessions_survive_a_reuse_in_one_family(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    laptop = (await login(client, user.email)).json()
    phone = (await login(client, user.email)).json()
    client.cookies.clear()
    await client.post("/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    still = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}
    )
    assert still.status_code == 200


async def test_logout_revokes_the_refresh_token_and_clears_the_cookie(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    tokens = (await login(client, user.email)).json()
    response = await client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert 'kasal_refresh=""' in response.headers["set-cookie"]
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_refresh_token"


async def test_refresh_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "refresh_token_missing"


async def test_expired_access_token_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await make_user(app)
    token = create_access_token(user.id, TEST_JWT_SECRET, ttl_s=-10)
    response = await client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


async def test_tampered_and_foreign_tokens_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    token = (await login(client, user.email)).json()["access_token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    forged = jwt.encode(
        {"sub": str(user.id), "iss": "kasal", "typ": "access", "exp": 4_000_000_000},
        "another-secret-" + "y" * 40,
        algorithm="HS256",
    )
    unsigned = jwt.encode({"sub": str(user.id)}, "", algorithm="HS256")
    for bad in (tampered, forged, unsigned, "garbage"):
        response = await client.get("/api/v1/users/me", headers=bearer(bad))
        assert response.status_code == 401, bad
        assert response.json()["error"]["code"] == "invalid_token"


async def test_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient) -> None:
    token = create_access_token(uuid.uuid4(), TEST_JWT_SECRET, ttl_s=60)
    response = await client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401


async def test_failed_logins_are_rate_limited_per_account(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    user = await make_user(app)
    limit = app.state.settings.login_max_failures
    for _ in range(limit):
        assert (await login(client, user.email, "wrong")).status_code == 401
    blocked = await login(client, user.email)  # even the right password waits
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_login_attempts"
    assert 1 <= int(blocked.headers["Retry-After"]) <= app.state.settings.login_window_s
    other = await make_user(app)
    assert (await login(client, other.email)).status_code == 200


async def test_failed_logins_are_rate_limited_per_address(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    limit = app.state.settings.login_ip_max_failures
    for n in range(limit):
        await login(client, f"guess{n}@example.com", "wrong")
    user = await make_user(app)
    response = await login(client, user.email)
    assert response.status_code == 429


async def test_success_resets_the_account_counter(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await make_user(app)
    limit = app.state.settings.login_max_failures
    for _ in range(limit - 1):
        await login(client, user.email, "wrong")
    assert (await login(client, user.email)).status_code == 200
    for _ in range(limit - 1):
        await login(client, user.email, "wrong")
    assert (await login(client, user.email)).status_code == 200
