"""Async factories: real rows through the real services, and signed-in clients."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from kasal.auth import service as auth
from kasal.auth.models import Membership, User
from kasal.core.context import Role
from kasal.core.db import utcnow
from kasal.executions.models import Execution, Status

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


async def seed_database(app: FastAPI) -> None:
    """Run every seeder: tests empty the tables between tests, seeded rows included."""
    from kasal import seeds

    async with app.state.sessionmaker() as session:
        await seeds.run_all(session, app.state.settings)


async def add_api_key(
    client: httpx.AsyncClient,
    actor: Actor,
    provider: str,
    value: str,
    *,
    group_id: uuid.UUID | None = None,
    name: str | None = None,
) -> dict[str, object]:
    """Store an API key through the API (as `actor`, in `group_id` or their personal group)."""
    headers = actor.in_group(group_id) if group_id else actor.headers
    body = {"name": name or f"{provider} key", "provider": provider, "value": value}
    response = await client.post("/api/v1/api-keys", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def crew_document(name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid two-agent, two-task crew on the offline `demo` model, with a {topic} input."""
    document: dict[str, Any] = {
        "name": name or f"Crew {next(_counter)}",
        "description": "Researches a topic and writes it up.",
        "agents": [
            {
                "key": "researcher",
                "role": "Researcher of {topic}",
                "goal": "Find facts about {topic}",
                "backstory": "Careful and curious.",
                "llm": "demo",
            },
            {"key": "writer", "role": "Writer", "goal": "Write it up", "llm": "demo"},
        ],
        "tasks": [
            {
                "key": "research",
                "name": "Research",
                "description": "Research {topic}",
                "expected_output": "Ten facts",
                "agent": "researcher",
            },
            {
                "key": "write",
                "name": "Write",
                "description": "Write a report for {audience}",
                "expected_output": "A report",
                "agent": "writer",
                "context": ["research"],
            },
        ],
        "layout": {
            "nodes": {"researcher": {"x": 0, "y": 0}, "research": {"x": 300, "y": 0}},
            "viewport": {"x": 0, "y": 0, "zoom": 1},
        },
    }
    document.update(overrides)
    return document


async def make_crew(
    client: httpx.AsyncClient,
    actor: Actor,
    document: dict[str, Any] | None = None,
    *,
    group_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Create a crew through the API (as `actor`, in `group_id` or their personal group).

    The `demo` model it uses comes from the seeded catalog: call seed_database first.
    """
    headers = actor.in_group(group_id) if group_id else actor.headers
    response = await client.post("/api/v1/crews", json=document or crew_document(), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def running_execution(
    app: FastAPI, actor: Actor, crew_id: str, runner_id: str, lease_left_s: float
) -> str:
    """A run that another API process claims to drive, its lease ending in `lease_left_s`
    (negative: already lapsed, as when that process died)."""
    async with app.state.sessionmaker() as session:
        execution = Execution(
            group_id=actor.user.personal_group_id,
            crew_id=uuid.UUID(crew_id),
            crew_name="Research brief",
            crew_version=1,
            spec={},
            inputs={},
            status=Status.running,
            runner_id=runner_id,
            lease_expires_at=utcnow() + timedelta(seconds=lease_left_s),
        )
        session.add(execution)
        await session.commit()
        return str(execution.id)
