"""The example crews: seeded once into the bootstrap admin's group, runnable on `demo`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from kasal.auth.models import User
from kasal.auth.repository import UserRepository
from kasal.crews.models import Crew
from kasal.crews.schemas import CrewBody
from kasal.seeds.crews import example_crews
from tests.factories import PASSWORD, Actor, login, make_actor, make_user, seed_database

API = "/api/v1/crews"


async def _bootstrap_admin(app: FastAPI, client: httpx.AsyncClient) -> Actor:
    """The admin made on first start: still there if no earlier test emptied the tables."""
    settings = app.state.settings
    async with app.state.sessionmaker() as session:
        user = await UserRepository(session).by_email(settings.admin_email)
    password = PASSWORD
    if user is None:
        user = await make_user(app, email=settings.admin_email, admin=True)
    else:
        password = settings.admin_password.get_secret_value()
    response = await login(client, user.email, password)
    client.cookies.clear()
    return Actor(user, {"Authorization": f"Bearer {response.json()['access_token']}"})


async def _crews(client: httpx.AsyncClient, actor: Actor) -> dict[str, dict[str, object]]:
    items = (await client.get(API, params={"sort": "name"}, headers=actor.headers)).json()["items"]
    return {c["name"]: c for c in items}


def test_the_example_crews_read_like_any_exported_crew() -> None:
    crews = example_crews()
    assert [c.name for c in crews] == ["Blog post writer", "Daily briefing", "Research brief"]
    assert all(isinstance(c, CrewBody) for c in crews)
    tools = {t.tool_id for c in crews for a in c.agents for t in a.tools}
    assert "current_datetime" in tools
    assert {a.llm for c in crews for a in c.agents} == {"demo"}


async def test_seeding_twice_changes_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    admin = await _bootstrap_admin(app, client)
    await make_actor(app, client, admin=True)  # a later admin gets nothing
    await seed_database(app)
    first = await _crews(client, admin)
    assert sorted(first) == ["Blog post writer", "Daily briefing", "Research brief"]
    for summary in first.values():
        crew = (await client.get(f"{API}/{summary['id']}", headers=admin.headers)).json()
        assert [p for p in crew["problems"] if p["severity"] == "error"] == []
        assert "topic" in crew["inputs"] or "focus" in crew["inputs"]
    research = first["Research brief"]
    edited = await client.patch(
        f"{API}/{research['id']}", json={"version": 1, "description": "mine"}, headers=admin.headers
    )
    assert edited.status_code == 200
    await seed_database(app)
    await seed_database(app)
    again = await _crews(client, admin)
    assert {n: c["id"] for n, c in again.items()} == {n: c["id"] for n, c in first.items()}
    assert again["Research brief"]["description"] == "mine"
    assert again["Research brief"]["version"] == 2


async def test_without_an_admin_nothing_is_seeded(app: FastAPI, client: httpx.AsyncClient) -> None:
    await make_actor(app, client)
    async with app.state.sessionmaker() as session:
        await session.execute(delete(User).where(User.is_admin.is_(True)))
        await session.commit()
    await seed_database(app)
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Crew)) == 0
