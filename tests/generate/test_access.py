"""Who may generate, and what is refused before anything streams."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.context import Role
from tests.factories import add_to_group, make_actor, make_group
from tests.generate.support import events_of, generate


async def test_generating_needs_a_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/generate/crew", json={"prompt": "a crew"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", [Role.viewer, Role.operator])
async def test_viewers_and_operators_may_not_generate(
    app: FastAPI, client: httpx.AsyncClient, role: Role
) -> None:
    owner = await make_actor(app, client)
    team = await make_group(client, owner)
    member = await make_actor(app, client)
    await add_to_group(app, team, member.user, role)

    response = await client.post(
        "/api/v1/generate/crew", json={"prompt": "a crew"}, headers=member.in_group(team)
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"


async def test_another_groups_crew_is_not_found(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    crew = events_of(await generate(client, owner, "write a poem"))[-1]["crew"]

    response = await generate(client, stranger, "add a reviewer", crew_id=crew["id"])

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "crew_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"prompt": "   "}, "validation_error"),
        ({"prompt": "x" * 4001}, "validation_error"),
        ({"prompt": "a crew", "extra": 1}, "validation_error"),
        ({"prompt": "a crew", "crew_id": "not-a-uuid"}, "validation_error"),
        ({"prompt": "a crew", "model": "no-such-model"}, "unknown_model"),
        ({"prompt": "a crew", "model": "wordllama-l2-256"}, "wrong_model_kind"),
        ({"prompt": "a crew", "model": "gpt-4o"}, "missing_api_key"),
    ],
)
async def test_bad_requests_are_refused_in_the_one_error_shape(
    app: FastAPI, client: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    actor = await make_actor(app, client)

    response = await client.post("/api/v1/generate/crew", json=body, headers=actor.headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
