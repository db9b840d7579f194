"""Who may see and answer what: roles, answers allowed, another group's approvals."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from kasal.auth.models import Role
from kasal.executions.models import Execution
from tests.approvals.support import API, answer, paused_run, pending
from tests.factories import add_to_group, make_actor, make_group


async def test_a_viewer_sees_the_inbox_but_may_not_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, viewer = await make_actor(app, client), await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, viewer.user, Role.viewer)
    _, approval_id = await paused_run(app, team)
    as_viewer = viewer.in_group(team)

    listed = await client.get(API, headers=as_viewer)
    refused = await client.post(
        f"{API}/{approval_id}", json={"decision": "approve"}, headers=as_viewer
    )

    assert [a["id"] for a in listed.json()["items"]] == [approval_id]
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_role"
    still = await client.get(f"{API}/{approval_id}", headers=as_viewer)
    assert still.json()["status"] == "pending"


async def test_the_settings_role_is_the_least_that_may_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, operator = await make_actor(app, client), await make_actor(app, client)
    team = await make_group(client, owner)
    await add_to_group(app, team, operator.user, Role.operator)
    _, approval_id = await paused_run(app, team, role="editor")

    refused = await client.post(
        f"{API}/{approval_id}", json={"decision": "approve"}, headers=operator.in_group(team)
    )
    accepted = await client.post(
        f"{API}/{approval_id}", json={"decision": "approve"}, headers=owner.in_group(team)
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "approved"


async def test_only_the_allowed_answers_are_taken(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    execution_id, approval_id = await paused_run(
        app, actor.user.personal_group_id, answers=("approve", "reject")
    )

    reply = await answer(client, actor, approval_id, decision="reply", reply="More")
    unknown = await answer(client, actor, approval_id, decision="maybe")
    extra = await answer(client, actor, approval_id, decision="approve", by="me")
    run = await client.get(f"/api/v1/executions/{execution_id}", headers=actor.headers)

    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "answer_not_allowed"
    assert unknown.status_code == 422
    assert extra.status_code == 422
    assert run.json()["status"] == "waiting"


async def test_an_answer_queues_the_run_with_what_it_resumes_from(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    execution_id, approval_id = await paused_run(app, actor.user.personal_group_id)

    answered = await answer(client, actor, approval_id, decision="reply", reply="Shorter")
    run = (await client.get(f"/api/v1/executions/{execution_id}", headers=actor.headers)).json()
    count = (await client.get(f"{API}/count", headers=actor.headers)).json()
    everything = (await client.get(API, params={"status": "all"}, headers=actor.headers)).json()

    assert answered.status_code == 200
    assert run["status"] == "queued"
    assert count == {"pending": 0}
    assert await pending(client, actor) == []
    assert [a["status"] for a in everything["items"]] == ["replied"]
    async with app.state.sessionmaker() as session:
        stored = await session.get(Execution, uuid.UUID(execution_id))
        assert stored is not None
        assert stored.checkpoint == {
            "checkpoint": {"kind": "crew", "paused_at": "research", "tasks": {}},
            "decision": "reply",
            "reply": "Shorter",
            "comment": None,
        }


async def test_another_groups_approvals_are_not_found(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    _, approval_id = await paused_run(app, owner.user.personal_group_id)

    listed = await pending(client, stranger)
    count = (await client.get(f"{API}/count", headers=stranger.headers)).json()
    read = await client.get(f"{API}/{approval_id}", headers=stranger.headers)
    answered = await answer(client, stranger, approval_id, decision="approve")

    assert listed == []
    assert count == {"pending": 0}
    assert read.status_code == answered.status_code == 404
    assert answered.json()["error"]["code"] == "approval_not_found"


async def test_an_unknown_status_filter_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    response = await client.get(API, params={"status": "later"}, headers=actor.headers)
    assert response.status_code == 422
    assert "error" in response.json()
