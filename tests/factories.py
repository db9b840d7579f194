"""Async factories: real rows through the real services, and signed-in clients."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from kasal.auth import service as auth
from kasal.auth.models import Membership, Role, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class Actor:
    """A signed-in user: their row and the headers that authenticate as them."""

    user: User
    headers: dict[str, str]

    def in_group(self, group_id: uuid.UUID | str) -> dict[str, str]:
        return {**self.headers, "X-Kasal-Group": str(group_id)}


async def make_user(
    app: FastAPI, *, email: str | None = None, admin: bool = False, password: str = PASSWORD
) -> User:
    email = email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"
    async with app.state.sessionmaker() as session:
        user = await auth.create_user(
            session,
            app.state.settings,
            email=email,
            name=email.split("@")[0],
            password=password,
            is_admin=admin,
        )
        await session.commit()
        return user


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": email, "password": password})


async def make_actor(app: FastAPI, client: httpx.AsyncClient, *, admin: bool = False) -> Actor:
    user = await make_user(app, admin=admin)
    response = await login(client, user.email)
    assert response.status_code == 200, response.text
    client.cookies.clear()  # each actor authenticates by header only; no shared cookie jar
    return Actor(user, {"Authorization": f"Bearer {response.json()['access_token']}"})


async def add_to_group(app: FastAPI, group_id: uuid.UUID, user: User, role: Role) -> None:
    async with app.state.sessionmaker() as session:
        session.add(Membership(group_id=group_id, user_id=user.id, role=role))
        await session.commit()


async def make_group(client: httpx.AsyncClient, owner: Actor, name: str = "Team") -> uuid.UUID:
    response = await client.post("/api/v1/groups", json={"name": name}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])
