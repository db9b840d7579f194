"""Pausing and answering end to end: the real server and worker, the HTTP API, the scripted
LLM (its requests prove that nothing finished runs again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from kasal.approvals import service
from kasal.core.db import utcnow
from tests.approvals.support import API, answer, asking_crew, next_pending, pending
from tests.executions.support import all_events, create_crew, start, use_scripted_model, wait_for
from tests.factories import Actor, make_actor
from tests.support.llm_server import ScriptedLLMServer
from tests.support.server import LiveServer


async def _paused(
    http: httpx.AsyncClient, actor: Actor, llm: ScriptedLLMServer, **approval: Any
) -> tuple[str, dict[str, Any]]:
    model = await use_scripted_model(http, actor, llm)
    crew_id = await create_crew(http, actor, asking_crew(model, **approval))
    execution = await start(http, actor, crew_id)
    waiting = await wait_for(http, actor, execution["id"], {"waiting", "failed", "succeeded"})
    assert waiting["status"] == "waiting", waiting
    (approval_read,) = await pending(http, actor)
    return execution["id"], approval_read


def _continuous(events: list[dict[str, Any]]) -> None:
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


async def test_approve_resumes_the_run_without_running_the_reviewed_task_again(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    llm_server.script("Tides follow the moon.", "A brief about tides.")
    async with httpx.AsyncClient(base_url=live.url) as http:
        execution_id, asked = await _paused(http, actor, llm_server)
        assert (await http.get(f"{API}/count", headers=actor.headers)).json() == {"pending": 1}
        assert asked["execution_id"] == execution_id
        assert asked["execution_name"] == "Research brief"
        assert asked["status"] == "pending"
        assert asked["question"] == "Review the output of Research"
        assert asked["output"] == "Tides follow the moon."
        assert asked["answers"] == ["approve", "reject", "reply"]
        assert (asked["role"], asked["task_key"], asked["step_key"]) == (
            "operator",
            "research",
            None,
        )
        assert asked["timeout_at"] is None
        assert len(llm_server.chat_requests) == 1  # the worker slot is free: nothing runs

        answered = await answer(http, actor, asked["id"], decision="approve", comment="Fine")
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "approved"
        assert answered.json()["answered_by"] == str(actor.user.id)
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)
        again = await answer(http, actor, asked["id"], decision="approve")
        history = (await http.get(API, params={"status": "answered"}, headers=actor.headers)).json()

    assert done["status"] == "succeeded", done
    assert done["result"] == "A brief about tides."
    assert done["task_outputs"] == {
        "research": "Tides follow the moon.",
        "write": "A brief about tides.",
    }
    assert len(llm_server.chat_requests) == 2
    assert "Tides follow the moon." in llm_server.chat_requests[1].prompt
    _continuous(events)
    types = [e["type"] for e in events]
    assert types.count("crew.started") == 1
    assert types.count("execution.started") == 2
    assert [e["data"]["task_key"] for e in events if e["type"] == "execution.waiting"] == [
        "research"
    ]
    waiting = next(e for e in events if e["type"] == "execution.waiting")
    assert waiting["data"]["approval_id"] == asked["id"]
    assert waiting["data"]["question"] == "Review the output of Research"
    i = types.index("approval.answered")
    assert types[i - 1 : i + 3] == [
        "execution.waiting",
        "approval.answered",
        "execution.queued",
        "execution.started",
    ]
    assert events[i]["data"] == {
        "approval_id": asked["id"],
        "decision": "approve",
        "by": str(actor.user.id),
        "comment": "Fine",
        "timed_out": False,
    }
    assert [e["task_key"] for e in events if e["type"] == "task.started"] == ["research", "write"]
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "approval_answered"
    assert [a["status"] for a in history["items"]] == ["approved"]


async def test_reject_ends_the_run_with_the_comment(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        execution_id, asked = await _paused(http, actor, llm_server)
        answered = await answer(http, actor, asked["id"], decision="reject", comment="No sources")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)

    assert answered.json()["status"] == "rejected"
    assert done["status"] == "failed"
    assert done["error"] == "Rejected at the review of task 'research': No sources"
    assert len(llm_server.chat_requests) == 1
    _continuous(events)
    assert events[-1]["type"] == "execution.failed"


async def test_reply_runs_the_task_again_with_the_feedback_then_asks_again(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    llm_server.script("Tides follow the moon.", "Tides follow the moon and the sun.", "Brief.")
    async with httpx.AsyncClient(base_url=live.url) as http:
        execution_id, asked = await _paused(http, actor, llm_server, question="Facts right?")
        assert asked["question"] == "Facts right?"
        missing = await answer(http, actor, asked["id"], decision="reply")
        answered = await answer(
            http, actor, asked["id"], decision="reply", reply="Mention the sun."
        )
        second_ask = await next_pending(http, actor)
        approved = await answer(http, actor, second_ask["id"], decision="approve")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)

    assert missing.status_code == 422
    assert answered.json()["status"] == "replied"
    assert answered.json()["reply"] == "Mention the sun."
    assert second_ask["output"] == "Tides follow the moon and the sun."
    assert approved.status_code == 200
    assert done["status"] == "succeeded", done
    assert done["result"] == "Brief."
    rerun = llm_server.chat_requests[1].prompt
    assert "Tides follow the moon." in rerun
    assert "Mention the sun." in rerun
    assert len(llm_server.chat_requests) == 3
    _continuous(events)
    assert [e["type"] for e in events].count("execution.waiting") == 2


async def test_a_timeout_answers_with_the_default_action(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    llm_server.script("Tides follow the moon.", "A brief about tides.")
    async with httpx.AsyncClient(base_url=live.url) as http:
        execution_id, asked = await _paused(
            http, actor, llm_server, timeout_s=60, on_timeout="approve"
        )
        assert asked["timeout_at"] is not None
        state = live.app.state
        early = live.call(
            service.time_out_due(state.sessionmaker, state.bus, state.dispatcher, utcnow())
        )
        later = utcnow() + timedelta(seconds=61)
        late = live.call(
            service.time_out_due(state.sessionmaker, state.bus, state.dispatcher, later)
        )
        done = await wait_for(http, actor, execution_id)
        read = (await http.get(f"{API}/{asked['id']}", headers=actor.headers)).json()
        events = await all_events(http, actor, execution_id)

    assert (early, late) == (0, 1)
    assert done["status"] == "succeeded", done
    assert (read["status"], read["timed_out"], read["answered_by"]) == ("approved", True, None)
    answered = next(e for e in events if e["type"] == "approval.answered")
    assert answered["data"]["by"] is None
    assert answered["data"]["timed_out"] is True
    _continuous(events)


async def test_cancelling_a_waiting_run_closes_its_question(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        execution_id, asked = await _paused(http, actor, llm_server)
        cancelled = await http.post(
            f"/api/v1/executions/{execution_id}/cancel", headers=actor.headers
        )
        read = (await http.get(f"{API}/{asked['id']}", headers=actor.headers)).json()
        late = await answer(http, actor, asked["id"], decision="approve")
        count = (await http.get(f"{API}/count", headers=actor.headers)).json()
        deleted = await http.delete(f"/api/v1/executions/{execution_id}", headers=actor.headers)

    assert cancelled.json()["status"] == "cancelled"
    assert read["status"] == "closed"
    assert late.status_code == 409
    assert count == {"pending": 0}
    assert deleted.status_code == 204
