"""The auth cache: a warm request reads no user or membership from the database, and every
change to a token, a user or a membership takes effect on the very next request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from kasal.auth.cache import CHANNEL, AuthCache, Changes
from kasal.core.context import Role
from kasal.realtime.bus import EventBus
from tests.factories import Actor, add_to_group, make_actor, make_group

CURRENT = "/api/v1/groups/current"


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the application sends while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def touching(seen: list[str], *tables: str) -> list[str]:
    return [s for s in seen if any(f"FROM {t}" in s or f"UPDATE {t}" in s for t in tables)]


async def _warm(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for _ in range(2):
        assert (await client.get(CURRENT, headers=headers)).status_code == 200


async def test_a_warm_request_reads_neither_user_nor_membership(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    await _warm(client, actor.headers)
    with statements(app) as seen:
        assert (await client.get(CURRENT, headers=actor.headers)).status_code == 200
    assert touching(seen, "users", "memberships") == []


async def test_a_deleted_personal_token_is_refused_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    created = await client.post("/api/v1/auth/tokens", json={"name": "t"}, headers=actor.headers)
    body = created.json()
    by_token = {"Authorization": f"Bearer {body['token']}"}
    await _warm(client, by_token)
    with statements(app) as seen:
        assert (await client.get(CURRENT, headers=by_token)).status_code == 200
    assert touching(seen, "personal_access_tokens") == []  # it was cached
    deleted = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=actor.headers)
    assert deleted.status_code == 204
    refused = await client.get(CURRENT, headers=by_token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"


async def test_a_deactivated_user_is_refused_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    admin = await make_actor(app, client, admin=True)
    actor = await make_actor(app, client)
    await _warm(client, actor.headers)
    patched = await client.patch(
        f"/api/v1/users/{actor.user.id}", json={"is_active": False}, headers=admin.headers
    )
    assert patched.status_code == 200
    refused = await client.get(CURRENT, headers=actor.headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "user_inactive"


async def _team_with(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> tuple[Actor, Actor, uuid.UUID]:
    owner = await make_actor(app, client)
    member = await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, member.user, role)
    await _warm(client, member.in_group(team))
    return owner, member, team


async def test_a_removed_member_loses_the_group_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, member, team = await _team_with(app, client, Role.editor)
    removed = await client.delete(
        f"/api/v1/groups/{team}/members/{member.user.id}", headers=owner.headers
    )
    assert removed.status_code == 204
    gone = await client.get(CURRENT, headers=member.in_group(team))
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "group_not_found"
    crews = await client.get("/api/v1/crews", headers=member.in_group(team))
    assert crews.status_code == 404


async def test_a_changed_role_takes_effect_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, member, team = await _team_with(app, client, Role.editor)
    demoted = await client.patch(
        f"/api/v1/groups/{team}/members/{member.user.id}",
        json={"role": "viewer"},
        headers=owner.headers,
    )
    assert demoted.status_code == 200
    current = await client.get(CURRENT, headers=member.in_group(team))
    assert current.json()["role"] == "viewer"
    refused = await client.post("/api/v1/crews", json={"name": "x"}, headers=member.in_group(team))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_role"


async def test_a_deleted_group_is_forgotten_at_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, member, team = await _team_with(app, client, Role.viewer)
    await _warm(client, owner.in_group(team))
    assert (await client.delete(f"/api/v1/groups/{team}", headers=owner.headers)).status_code == 204
    for actor in (owner, member):
        assert (await client.get(CURRENT, headers=actor.in_group(team))).status_code == 404


async def test_drops_announced_by_another_process_are_applied() -> None:
    """What another API process forgets comes over the bus (PostgreSQL's there) and is
    forgotten here too; what this cache announces goes out on the bus."""
    bus = EventBus()
    cache = AuthCache()
    listener = cache.share(bus)
    heard = bus.subscribe(CHANNEL)
    group, user = uuid.uuid4(), uuid.uuid4()
    try:
        cache.put_role(group, user, Role.admin, cache.generation)
        await asyncio.sleep(0)  # the listener subscribed
        elsewhere = {**Changes(memberships={(group, user)}).message(), "origin": "another"}
        bus.publish(CHANNEL, elsewhere)
        for _ in range(100):
            if cache.role(group, user) is None:
                break
            await asyncio.sleep(0.01)
        assert cache.role(group, user) is None
        cache.forget(Changes(users={user}))
        announced = [heard.queue.get_nowait() for _ in range(heard.queue.qsize())]
        assert [m["users"] for m in announced if m.get("origin") != "another"] == [[str(user)]]
    finally:
        heard.close()
        await cache.unshare(listener)


def test_a_read_that_raced_a_change_is_not_kept() -> None:
    cache = AuthCache()
    group, user = uuid.uuid4(), uuid.uuid4()
    began = cache.generation  # a request reads the role...
    cache.forget(Changes(memberships={(group, user)}))  # ...while another changes it
    cache.put_role(group, user, Role.admin, began)
    assert cache.role(group, user) is None
