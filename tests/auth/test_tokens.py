"""Personal access tokens, and deactivation stopping every kind of token at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from kasal.auth.models import PersonalAccessToken
from tests.factories import login, make_actor, make_user


async def test_personal_token_is_shown_once_stored_hashed_and_authenticates(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await client.post(
        "/api/v1/auth/tokens", json={"name": "ci script"}, headers=actor.headers
    )
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert token.startswith("kasal_pat_")
    assert set(body) == {"id", "name", "token", "created_at", "expires_at", "last_used_at"}

    listed = (await client.get("/api/v1/auth/tokens", headers=actor.headers)).json()
    assert [t["name"] for t in listed["items"]] == ["ci script"]
    assert "token" not in listed["items"][0]

    async with app.state.sessionmaker() as session:
        stored = (await session.scalars(select(PersonalAccessToken))).one()
    assert token not in stored.token_hash
    assert stored.last_used_at is None

    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["id"] == str(actor.user.id)
    listed = (await client.get("/api/v1/auth/tokens", headers=actor.headers)).json()
    assert listed["items"][0]["last_used_at"] is not None


async def test_deleted_personal_token_stops_working(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    body = (
        await client.post("/api/v1/auth/tokens", json={"name": "t"}, headers=actor.headers)
    ).json()
    deleted = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=actor.headers)
    assert deleted.status_code == 204
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 401


async def test_expired_personal_token_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = (
        await client.post(
            "/api/v1/auth/tokens", json={"name": "t", "expires_at": soon}, headers=actor.headers
        )
    ).json()
    async with app.state.sessionmaker() as session:
        await session.execute(
            update(PersonalAccessToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "token_expired"


async def test_token_expiry_must_be_in_the_future(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    for expires in ("2001-01-01T00:00:00Z", "2099-01-01T00:00:00", "soon"):
        response = await client.post(
            "/api/v1/auth/tokens", json={"name": "t", "expires_at": expires}, headers=actor.headers
        )
        assert response.status_code == 422, expires
        assert response.json()["error"]["code"] == "validation_error"


async def test_one_users_token_cannot_be_deleted_by_another(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    other = await make_actor(app, client)
    body = (
        await client.post("/api/v1/auth/tokens", json={"name": "t"}, headers=owner.headers)
    ).json()
    response = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=other.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/auth/tokens", headers=other.headers)).json()["items"] == []


async def test_deactivation_stops_jwt_personal_and_refresh_tokens_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await make_actor(app, client, admin=True)
    user = await make_user(app)
    tokens = (await login(client, user.email)).json()
    client.cookies.clear()
    jwt_headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    pat = (await client.post("/api/v1/auth/tokens", json={"name": "t"}, headers=jwt_headers)).json()

    response = await client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False

    for headers in (jwt_headers, {"Authorization": f"Bearer {pat['token']}"}):
        me = await client.get("/api/v1/users/me", headers=headers)
        assert me.status_code == 401
        assert me.json()["error"]["code"] == "user_inactive"
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert (await login(client, user.email)).status_code == 401
