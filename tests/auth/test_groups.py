"""Groups, members, roles, and the wall between groups."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from kasal.auth.models import Membership
from kasal.auth.repository import MembershipRepository
from kasal.core.context import Role
from tests.factories import Actor, add_to_group, make_actor, make_group

API = "/api/v1/groups"


async def test_every_user_has_a_personal_group_as_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    listed = (await client.get(API, headers=actor.headers)).json()["items"]
    assert [(g["is_personal"], g["role"]) for g in listed] == [(True, "admin")]
    current = (await client.get(f"{API}/current", headers=actor.headers)).json()
    assert current["id"] == str(actor.user.personal_group_id)


async def test_x_kasal_group_selects_the_active_group(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    viewer = await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, viewer.user, Role.viewer)
    current = await client.get(f"{API}/current", headers=viewer.in_group(team))
    assert current.json() == {**current.json(), "id": str(team), "role": "viewer"}


@pytest.mark.parametrize("header", [str(uuid.uuid4()), "not-a-uuid"])
async def test_a_group_you_are_not_in_is_not_found(
    app: FastAPI, client: httpx.AsyncClient, header: str
) -> None:
    actor = await make_actor(app, client)
    response = await client.get(f"{API}/current", headers=actor.in_group(header))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "group_not_found"


async def test_another_groups_existence_never_leaks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    stranger = await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, (await make_actor(app, client)).user, Role.viewer)
    calls = [
        ("GET", f"{API}/{team}", None),
        ("PATCH", f"{API}/{team}", {"name": "mine now"}),
        ("DELETE", f"{API}/{team}", None),
        ("GET", f"{API}/{team}/members", None),
        ("POST", f"{API}/{team}/members", {"email": stranger.user.email, "role": "admin"}),
        ("PATCH", f"{API}/{team}/members/{owner.user.id}", {"role": "viewer"}),
        ("DELETE", f"{API}/{team}/members/{owner.user.id}", None),
        ("GET", f"{API}/current", None),
    ]
    for method, url, body in calls:
        headers = stranger.in_group(team)
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "group_not_found"
    # And nothing changed.
    group = (await client.get(f"{API}/{team}", headers=owner.headers)).json()
    assert group["name"] == "Team"
    members = (await client.get(f"{API}/{team}/members", headers=owner.headers)).json()["items"]
    assert len(members) == 2


async def _team_with_roles(
    app: FastAPI, client: httpx.AsyncClient
) -> tuple[uuid.UUID, dict[Role, Actor]]:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    actors = {Role.admin: owner}
    for role in (Role.editor, Role.operator, Role.viewer):
        actors[role] = await make_actor(app, client)
        await add_to_group(app, team, actors[role].user, role)
    return team, actors


async def test_every_member_may_read_the_group_and_its_members(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, actors = await _team_with_roles(app, client)
    for role, actor in actors.items():
        group = await client.get(f"{API}/{team}", headers=actor.headers)
        assert group.json()["role"] == role.value
        members = await client.get(f"{API}/{team}/members", headers=actor.headers)
        assert {m["role"] for m in members.json()["items"]} == {r.value for r in Role}


@pytest.mark.parametrize("role", [Role.editor, Role.operator, Role.viewer])
async def test_only_group_admins_manage_the_group(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    team, actors = await _team_with_roles(app, client)
    newcomer = await make_actor(app, client)
    actor, victim = actors[role], actors[Role.admin]
    refused = [
        ("PATCH", f"{API}/{team}", {"name": "renamed"}),
        ("DELETE", f"{API}/{team}", None),
        ("POST", f"{API}/{team}/members", {"email": newcomer.user.email, "role": "viewer"}),
        ("PATCH", f"{API}/{team}/members/{victim.user.id}", {"role": "viewer"}),
        ("DELETE", f"{API}/{team}/members/{victim.user.id}", None),
    ]
    for method, url, body in refused:
        response = await client.request(method, url, json=body, headers=actor.headers)
        assert response.status_code == 403, (role, method, url)
        assert response.json()["error"]["code"] == "insufficient_role"


async def test_group_admin_manages_members_and_roles(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, actors = await _team_with_roles(app, client)
    admin = actors[Role.admin]
    newcomer = await make_actor(app, client)
    added = await client.post(
        f"{API}/{team}/members",
        json={"email": newcomer.user.email.upper(), "role": "operator"},
        headers=admin.headers,
    )
    assert added.status_code == 201
    assert added.json()["role"] == "operator"
    again = await client.post(
        f"{API}/{team}/members", json={"email": newcomer.user.email}, headers=admin.headers
    )
    assert again.status_code == 409
    promoted = await client.patch(
        f"{API}/{team}/members/{newcomer.user.id}", json={"role": "editor"}, headers=admin.headers
    )
    assert promoted.json()["role"] == "editor"
    now = await client.get(f"{API}/current", headers=newcomer.in_group(team))
    assert now.json()["role"] == "editor"
    removed = await client.delete(f"{API}/{team}/members/{newcomer.user.id}", headers=admin.headers)
    assert removed.status_code == 204
    gone = await client.get(f"{API}/current", headers=newcomer.in_group(team))
    assert gone.status_code == 404


async def test_unknown_email_and_bad_role_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    unknown = await client.post(
        f"{API}/{team}/members", json={"email": "ghost@example.com"}, headers=owner.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "user_not_found"
    bad = await client.post(
        f"{API}/{team}/members",
        json={"email": owner.user.email, "role": "overlord"},
        headers=owner.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == ["body", "role"]


async def test_any_member_may_leave_but_the_last_admin_may_not(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, actors = await _team_with_roles(app, client)
    viewer, admin = actors[Role.viewer], actors[Role.admin]
    left = await client.delete(f"{API}/{team}/members/{viewer.user.id}", headers=viewer.headers)
    assert left.status_code == 204
    for method, body in (("DELETE", None), ("PATCH", {"role": "editor"})):
        response = await client.request(
            method, f"{API}/{team}/members/{admin.user.id}", json=body, headers=admin.headers
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_admin"


async def test_personal_groups_stay_personal(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    other = await make_actor(app, client)
    personal = actor.user.personal_group_id
    delete = await client.delete(f"{API}/{personal}", headers=actor.headers)
    add = await client.post(
        f"{API}/{personal}/members", json={"email": other.user.email}, headers=actor.headers
    )
    leave = await client.delete(f"{API}/{personal}/members/{actor.user.id}", headers=actor.headers)
    for response in (delete, add, leave):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "personal_group"


async def test_group_lifecycle(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner, "Research")
    renamed = await client.patch(f"{API}/{team}", json={"name": "R&D"}, headers=owner.headers)
    assert renamed.json()["name"] == "R&D"
    names = {g["name"] for g in (await client.get(API, headers=owner.headers)).json()["items"]}
    assert "R&D" in names
    assert (await client.delete(f"{API}/{team}", headers=owner.headers)).status_code == 204
    assert (await client.get(f"{API}/{team}", headers=owner.headers)).status_code == 404
    empty = await client.post(API, json={"name": "  "}, headers=owner.headers)
    assert empty.status_code == 422


async def test_group_scoped_repository_filters_and_stamps(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    one, two = await make_actor(app, client), await make_actor(app, client)
    async with app.state.sessionmaker() as session:
        repo = MembershipRepository(session, one.user.personal_group_id)
        rows = await repo.all(repo.select())
        assert [r.user_id for r in rows] == [one.user.id]
        foreign = await MembershipRepository(session, two.user.personal_group_id).of_user(
            two.user.id
        )
        assert foreign is not None
        assert await repo.get(foreign.id) is None
        stamped = await repo.add(
            Membership(user_id=two.user.id, role=Role.viewer, group_id=two.user.personal_group_id)
        )
        assert stamped.group_id == one.user.personal_group_id
        await session.rollback()
