"""Paused runs for approval tests: a crew whose first task asks a person, and a paused run
made straight in the database for the tests that run no worker."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from kasal.approvals import service
from kasal.engine.spec import ApprovalAsk, ApprovalSettings
from kasal.executions.models import Execution, Status
from tests.executions.support import two_step_crew
from tests.factories import Actor

API = "/api/v1/approvals"


def asking_crew(model: str, **approval: Any) -> dict[str, Any]:
    """Research (a person reviews it) then write."""
    document = two_step_crew(model)
    document["tasks"][0]["human_input"] = True
    if approval:
        document["tasks"][0]["approval"] = approval
    return document


async def paused_run(
    app: FastAPI,
    group_id: uuid.UUID,
    *,
    timeout_s: int | None = None,
    role: str = "operator",
    answers: tuple[str, ...] = ("approve", "reject", "reply"),
) -> tuple[str, str]:
    """(execution id, approval id) of a run waiting for an answer, as the dispatcher leaves
    it: status `waiting`, its checkpoint, its pending approval."""
    async with app.state.sessionmaker() as session:
        execution = Execution(
            group_id=group_id,
            crew_name="Research brief",
            crew_version=1,
            spec={},
            inputs={},
            status=Status.waiting,
            checkpoint={"kind": "crew", "paused_at": "research", "tasks": {}},
        )
        session.add(execution)
        await session.flush()
        settings = ApprovalSettings.model_validate(
            {"question": "Publish?", "timeout_s": timeout_s, "role": role, "answers": answers}
        )
        ask = ApprovalAsk(settings=settings, output="**Draft**", task_key="research")
        approval_id = await service.PENDING.open(session, execution, ask)
        await session.commit()
        return str(execution.id), str(approval_id)


async def answer(
    http: httpx.AsyncClient, actor: Actor, approval_id: str, **body: Any
) -> httpx.Response:
    return await http.post(f"{API}/{approval_id}", json=body, headers=actor.headers)


async def pending(http: httpx.AsyncClient, actor: Actor) -> list[dict[str, Any]]:
    response = await http.get(API, headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def next_pending(http: httpx.AsyncClient, actor: Actor, within: float = 60) -> dict[str, Any]:
    """The one pending approval, once there is one."""
    async with asyncio.timeout(within):
        while True:
            items = await pending(http, actor)
            if items:
                (item,) = items
                return item
            await asyncio.sleep(0.1)
