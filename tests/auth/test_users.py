"""User administration: only instance admins, and never the last admin away."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import login, make_actor


async def test_me_describes_the_caller(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    body = (await client.get("/api/v1/users/me", headers=actor.headers)).json()
    assert body["email"] == actor.user.email
    assert body["personal_group_id"] == str(actor.user.personal_group_id)
    assert "password_hash" not in body


async def test_admin_creates_lists_and_updates_users(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await make_actor(app, client, admin=True)
    created = await client.post(
        "/api/v1/users",
        json={"email": "New.Person@Example.com", "password": "long enough", "name": "New"},
        headers=admin.headers,
    )
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "new.person@example.com"
    assert (await login(client, "new.person@example.com", "long enough")).status_code == 200

    listed = (await client.get("/api/v1/users?limit=1", headers=admin.headers)).json()
    assert len(listed["items"]) == 1
    rest = await client.get(f"/api/v1/users?cursor={listed['next_cursor']}", headers=admin.headers)
    emails = {u["email"] for u in listed["items"] + rest.json()["items"]}
    assert emails == {admin.user.email, "new.person@example.com"}

    patched = await client.patch(
        f"/api/v1/users/{user['id']}",
        json={"is_admin": True, "name": "Renamed"},
        headers=admin.headers,
    )
    assert patched.json()["is_admin"] is True
    assert patched.json()["name"] == "Renamed"


async def test_duplicate_email_is_a_conflict(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await make_actor(app, client, admin=True)
    body = {"email": admin.user.email.upper(), "password": "long enough", "name": "Dup"}
    response = await client.post("/api/v1/users", json=body, headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


async def test_bad_user_input_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await make_actor(app, client, admin=True)
    for body in (
        {"email": "not-an-email", "password": "long enough", "name": "x"},
        {"email": "a@b.c", "password": "short", "name": "x"},
        {"email": "a@b.c", "password": "long enough", "name": ""},
    ):
        response = await client.post("/api/v1/users", json=body, headers=admin.headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"]
    bad_id = await client.patch("/api/v1/users/not-a-uuid", json={}, headers=admin.headers)
    assert bad_id.status_code == 422


async def test_non_admins_cannot_manage_users(app: FastAPI, client: httpx.AsyncClient) -> None:
    user = await make_actor(app, client)
    assert (await client.get("/api/v1/users", headers=user.headers)).status_code == 403
    create = await client.post(
        "/api/v1/users",
        json={"email": "x@example.com", "password": "long enough", "name": "x"},
        headers=user.headers,
    )
    assert create.status_code == 403
    promote = await client.patch(
        f"/api/v1/users/{user.user.id}", json={"is_admin": True}, headers=user.headers
    )
    assert promote.status_code == 403
    assert promote.json()["error"]["code"] == "admin_required"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await make_actor(app, client, admin=True)
    for change in ({"is_admin": False}, {"is_active": False}):
        response = await client.patch(
            f"/api/v1/users/{admin.user.id}", json=change, headers=admin.headers
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_admin"


async def test_unknown_user_is_404(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await make_actor(app, client, admin=True)
    response = await client.patch(
        "/api/v1/users/00000000-0000-0000-0000-000000000000", json={}, headers=admin.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user_not_found"
