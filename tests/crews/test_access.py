"""Roles and the wall between groups, on every crew endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import Role
from tests.factories import Actor, add_to_group, crew_document, make_actor, make_crew, make_group

API = "/api/v1/crews"


def reads(crew_id: object) -> list[tuple[str, str, Any]]:
    url = f"{API}/{crew_id}"
    return [
        ("GET", API, None),
        ("GET", url, None),
        ("GET", f"{url}/versions", None),
        ("GET", f"{url}/versions/1", None),
        ("GET", f"{url}/export", None),
        ("GET", f"{url}/export?format=json", None),
        ("GET", f"{url}/export?format=zip", None),
        ("POST", f"{url}/validate", None),
        ("POST", f"{url}/validate", crew_document("Draft")),
    ]


def writes(crew: dict[str, Any]) -> list[tuple[str, str, Any]]:
    url = f"{API}/{crew['id']}"
    return [
        ("POST", API, crew_document("New")),
        ("POST", f"{API}/import", crew_document("Imported")),
        ("PUT", url, {**crew, "description": "changed"}),
        ("PATCH", url, {"version": 1, "description": "changed"}),
        ("POST", f"{url}/duplicate", None),
        ("POST", f"{url}/versions/1/restore", None),
        ("DELETE", url, None),
    ]


async def _team(app: FastAPI, client: httpx.AsyncClient) -> tuple[uuid.UUID, dict[Role, Actor]]:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    actors = {Role.admin: owner}
    for role in (Role.editor, Role.operator, Role.viewer):
        actors[role] = await make_actor(app, client)
        await add_to_group(app, team, actors[role].user, role)
    return team, actors


async def _unchanged(
    client: httpx.AsyncClient, owner: Actor, team: uuid.UUID, crew: dict[str, Any]
) -> None:
    headers = owner.in_group(team)
    now = await client.get(f"{API}/{crew['id']}", headers=headers)
    assert now.json() == crew
    listed = (await client.get(API, headers=headers)).json()["items"]
    assert [c["id"] for c in listed] == [crew["id"]]
    versions = (await client.get(f"{API}/{crew['id']}/versions", headers=headers)).json()
    assert len(versions["items"]) == 1


@pytest.mark.parametrize("role", [Role.viewer, Role.operator])
async def test_viewers_and_operators_read_but_never_change(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    team, actors = await _team(app, client)
    crew = await make_crew(client, actors[Role.admin], group_id=team)
    headers = actors[role].in_group(team)
    for method, url, body in reads(crew["id"]):
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 200, (role, method, url, response.text)
    for method, url, body in writes(crew):
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == 403, (role, method, url, response.text)
        assert response.json()["error"]["code"] == "insufficient_role"
    await _unchanged(client, actors[Role.admin], team, crew)


@pytest.mark.parametrize("role", [Role.editor, Role.admin])
async def test_editors_and_admins_change(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    team, actors = await _team(app, client)
    crew = await make_crew(client, actors[Role.admin], group_id=team)
    headers = actors[role].in_group(team)
    expected = [201, 201, 200, 409, 201, 200, 204]  # the PATCH is stale after the PUT
    for (method, url, body), status in zip(writes(crew), expected, strict=True):
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == status, (role, method, url, response.text)


async def test_another_groups_crew_is_not_found_on_every_endpoint(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    team, actors = await _team(app, client)
    owner = actors[Role.admin]
    crew = await make_crew(client, owner, crew_document("Secret"), group_id=team)
    stranger = await make_actor(app, client)  # admin of their own personal group
    await make_crew(client, stranger, crew_document("Theirs"))
    calls = [c for c in reads(crew["id"]) + writes(crew) if c[1] not in (API, f"{API}/import")]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "crew_not_found"
        via_header = await client.request(method, url, json=body, headers=stranger.in_group(team))
        assert via_header.status_code == 404, (method, url, via_header.text)
        assert via_header.json()["error"]["code"] == "group_not_found"
    listed = (await client.get(API, headers=stranger.headers)).json()["items"]
    assert [c["name"] for c in listed] == ["Theirs"]
    searched = await client.get(API, params={"q": "secret"}, headers=stranger.headers)
    assert searched.json()["items"] == []
    await _unchanged(client, owner, team, crew)


async def test_a_crew_lives_in_the_active_group(app: FastAPI, client: httpx.AsyncClient) -> None:
    team, actors = await _team(app, client)
    editor = actors[Role.editor]
    in_team = await make_crew(client, editor, crew_document("Team crew"), group_id=team)
    personal = await make_crew(client, editor, crew_document("Personal crew"))
    team_list = (await client.get(API, headers=editor.in_group(team))).json()["items"]
    own_list = (await client.get(API, headers=editor.headers)).json()["items"]
    assert [c["id"] for c in team_list] == [in_team["id"]]
    assert [c["id"] for c in own_list] == [personal["id"]]
    wrong_group = await client.get(f"{API}/{in_team['id']}", headers=editor.headers)
    assert wrong_group.status_code == 404


async def test_requests_without_credentials_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner = await make_actor(app, client)
    crew = await make_crew(client, owner)
    for method, url, body in reads(crew["id"]) + writes(crew):
        response = await client.request(method, url, json=body)
        assert response.status_code == 401, (method, url)
