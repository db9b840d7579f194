"""Flows meet approvals end to end: the real server and worker, the HTTP API, the scripted LLM
(its requests prove that a crew finished before a pause never runs again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kasal.approvals import service
from kasal.core.db import utcnow
from tests.approvals.support import answer, asking_crew, next_pending, pending
from tests.executions.support import all_events, create_crew, use_scripted_model, wait_for
from tests.factories import Actor, make_actor
from tests.flows.support import answer_by_prompt, one_task_crew, start_flow
from tests.support.llm_server import ScriptedLLMServer
from tests.support.server import LiveServer

ANSWERS = {
    "Draft about tides": "DRAFT-1",
    "Publish [": "PUBLISHED",
    "Fix the draft": "FIXED",
    "Research tides": "Tides follow the moon.",
    "Write a brief": "A brief about tides.",
    "Summarise [": "SUMMARY",
}


def review_flow(draft: str, publish: str, fix: str | None, **approval: Any) -> dict[str, Any]:
    """Draft (a crew), an editor's review of it, then publish on approve (fix on reject)."""
    steps: list[dict[str, Any]] = [
        {"key": "draft", "kind": "crew", "crew_id": draft},
        {
            "key": "review",
            "kind": "approval",
            "name": "Editor review",
            "review": "Please check: ${steps.draft.output}",
            "approval": {"question": "Publish this?", **approval},
        },
        {
            "key": "publish",
            "kind": "crew",
            "crew_id": publish,
            "inputs": {"text": "${steps.review.output}"},
        },
    ]
    edges: list[dict[str, Any]] = [
        {"source": "draft", "target": "review"},
        {"source": "review", "target": "publish", "on": "approve"},
    ]
    if fix is not None:
        steps.append({"key": "fix", "kind": "crew", "crew_id": fix})
        edges.append({"source": "review", "target": "fix", "on": "reject"})
    return {"name": "Reviewed draft", "inputs": [{"name": "topic"}], "steps": steps, "edges": edges}


async def _review_crews(
    http: httpx.AsyncClient, actor: Actor, llm: ScriptedLLMServer
) -> tuple[str, str, str]:
    model = await use_scripted_model(http, actor, llm)
    llm.responder = answer_by_prompt(ANSWERS)
    documents = (
        one_task_crew(model, "Draft", "Draft about {topic}"),
        one_task_crew(model, "Publish", "Publish [{text}]"),
        one_task_crew(model, "Fix", "Fix the draft"),
    )
    draft, publish, fix = [await create_crew(http, actor, d) for d in documents]
    return draft, publish, fix


async def _waiting(
    http: httpx.AsyncClient, actor: Actor, flow: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The flow's run, once it waits: its id and its one pending approval."""
    execution = await start_flow(http, actor, flow, {"topic": "tides"})
    waiting = await wait_for(http, actor, execution["id"], {"waiting", "failed", "succeeded"})
    assert waiting["status"] == "waiting", waiting
    (asked,) = await pending(http, actor)
    assert asked["execution_id"] == execution["id"]
    assert asked["execution_name"] == flow["name"]
    return execution["id"], asked


def _calls(llm: ScriptedLLMServer, marker: str) -> int:
    return sum(marker in request.prompt for request in llm.chat_requests)


def _check_log(events: list[dict[str, Any]], asked: dict[str, Any]) -> None:
    """Seqs run on across the pause, the pause is on record, every step event names its step."""
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    (waiting,) = [e for e in events if e["type"] == "execution.waiting"]
    assert waiting["data"]["approval_id"] == asked["id"]
    assert waiting["data"]["step_key"] == asked["step_key"]
    assert waiting["data"]["task_key"] == asked["task_key"]
    assert all(e["step_key"] for e in events if e["type"].startswith("step."))
    types = [e["type"] for e in events]
    assert types.count("flow.started") == 1
    assert types.count("execution.started") == 2


def _check_trace(trace: dict[str, Any], steps: int, crews: int, ended: str = "completed") -> None:
    """One flow span, one span per step that ran, every crew and task once and under its
    step, every span closed (the flow's and the last step's with `ended`)."""
    spans = trace["spans"]
    assert {s["status"] for s in spans if s["kind"] not in ("flow", "step")} == {"completed"}
    flow_span = next(s for s in spans if s["kind"] == "flow")
    assert flow_span["status"] == ended
    assert [s["status"] for s in spans if s["kind"] == "step"][:-1] == ["completed"] * (steps - 1)
    assert [s for s in spans if s["kind"] == "step"][-1]["status"] == ended
    by_id = {s["id"]: s for s in spans}
    assert len(by_id) == len(spans)
    kinds = [s["kind"] for s in spans]
    assert kinds.count("flow") == 1
    assert kinds.count("step") == steps
    assert kinds.count("crew") == crews
    step_names = [s["name"] for s in spans if s["kind"] == "step"]
    assert len(set(step_names)) == len(step_names)
    tasks = [(s["parent_id"], s["name"]) for s in spans if s["kind"] == "task"]
    assert len(set(tasks)) == len(tasks)
    for span in spans:
        if span["kind"] == "crew":
            parent = by_id[span["parent_id"]]
            assert parent["kind"] == "step"
            assert by_id[parent["parent_id"]]["kind"] == "flow"
        if span["kind"] == "step":
            assert by_id[span["parent_id"]]["kind"] == "flow"


async def _trace(http: httpx.AsyncClient, actor: Actor, execution_id: str) -> dict[str, Any]:
    response = await http.get(f"/api/v1/executions/{execution_id}/trace", headers=actor.headers)
    assert response.status_code == 200, response.text
    trace: dict[str, Any] = response.json()
    return trace


@pytest.mark.parametrize(
    ("decision", "reject_edge", "status", "next_step"),
    [
        ("approve", False, "succeeded", "publish"),
        ("reject", True, "succeeded", "fix"),
        ("reject", False, "failed", None),
        ("reply", False, "succeeded", "publish"),
    ],
)
async def test_an_approval_step_waits_then_takes_the_answers_edge(
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    llm_server: ScriptedLLMServer,
    decision: str,
    reject_edge: bool,
    status: str,
    next_step: str | None,
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        draft, publish, fix = await _review_crews(http, actor, llm_server)
        flow = review_flow(draft, publish, fix if reject_edge else None)
        execution_id, asked = await _waiting(http, actor, flow)
        calls_before = len(llm_server.chat_requests)
        body: dict[str, Any] = {"decision": decision, "comment": "Checked"}
        if decision == "reply":
            body["reply"] = "DRAFT-2"
        answered = await answer(http, actor, asked["id"], **body)
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)
        trace = await _trace(http, actor, execution_id)

    assert (asked["step_key"], asked["task_key"]) == ("review", None)
    assert asked["question"] == "Publish this?"
    assert asked["output"] == "Please check: DRAFT-1"
    assert calls_before == 1  # the draft only; the waiting run holds no worker
    assert answered.status_code == 200, answered.text
    assert done["status"] == status, done
    assert _calls(llm_server, "Draft about tides") == 1
    _check_log(events, asked)
    completed = [e["step_key"] for e in events if e["type"] == "step.completed"]
    if next_step is None:
        assert done["error"] == "Rejected: Checked"
        assert completed == ["draft"]
        assert events[-1]["type"] == "execution.failed"
        _check_trace(trace, steps=2, crews=1, ended="failed")
        return
    assert completed == ["draft", "review", next_step]
    review = next(e for e in events if e["type"] == "step.completed" and e["step_key"] == "review")
    assert review["data"]["decision"] == decision
    assert done["result"] == ("FIXED" if next_step == "fix" else "PUBLISHED")
    assert set(done["task_outputs"]) == {"draft", next_step}
    skipped = [e["step_key"] for e in events if e["type"] == "step.skipped"]
    assert skipped == (["publish"] if next_step == "fix" else (["fix"] if reject_edge else []))
    if decision == "reply":
        assert review["data"]["output"] == "DRAFT-2"
        assert _calls(llm_server, "Publish [DRAFT-2]") == 1
    elif next_step == "publish":
        assert _calls(llm_server, "Publish [Please check: DRAFT-1]") == 1
    _check_trace(trace, steps=3, crews=2)


async def test_a_crew_step_with_a_human_input_task_pauses_the_flow_inside_its_crew(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        llm_server.responder = answer_by_prompt(ANSWERS)
        research = await create_crew(http, actor, asking_crew(model))
        summary = await create_crew(
            http, actor, one_task_crew(model, "Summary", "Summarise [{brief}]")
        )
        flow = {
            "name": "Brief then summary",
            "inputs": [{"name": "topic"}],
            "steps": [
                {"key": "brief", "kind": "crew", "crew_id": research},
                {
                    "key": "sum",
                    "kind": "crew",
                    "crew_id": summary,
                    "inputs": {"brief": "${steps.brief.output}"},
                },
            ],
            "edges": [{"source": "brief", "target": "sum"}],
        }
        execution_id, asked = await _waiting(http, actor, flow)
        answered = await answer(http, actor, asked["id"], decision="approve")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)
        trace = await _trace(http, actor, execution_id)

    assert (asked["step_key"], asked["task_key"]) == ("brief", "research")
    assert asked["output"] == "Tides follow the moon."
    assert answered.status_code == 200, answered.text
    assert done["status"] == "succeeded", done
    assert done["result"] == "SUMMARY"
    assert done["task_outputs"] == {"brief": "A brief about tides.", "sum": "SUMMARY"}
    assert _calls(llm_server, "Research tides") == 1
    assert _calls(llm_server, "Summarise [A brief about tides.]") == 1
    assert len(llm_server.chat_requests) == 3
    _check_log(events, asked)
    tasks = [(e["step_key"], e["task_key"]) for e in events if e["type"] == "task.started"]
    assert tasks == [("brief", "research"), ("brief", "write"), ("sum", "work")]
    assert [e["step_key"] for e in events if e["type"] == "crew.started"] == ["brief", "sum"]
    assert [e["step_key"] for e in events if e["type"] == "step.started"] == ["brief", "sum"]
    _check_trace(trace, steps=2, crews=2)


async def test_a_reply_to_a_crew_task_in_a_flow_asks_again_then_goes_on(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        llm_server.responder = answer_by_prompt(
            {"Mention the sun.": "Tides follow the moon and the sun."} | ANSWERS
        )
        research = await create_crew(http, actor, asking_crew(model))
        flow = {
            "name": "Brief",
            "inputs": [{"name": "topic"}],
            "steps": [{"key": "brief", "kind": "crew", "crew_id": research}],
            "edges": [],
        }
        execution_id, asked = await _waiting(http, actor, flow)
        await answer(http, actor, asked["id"], decision="reply", reply="Mention the sun.")
        again = await next_pending(http, actor)
        await answer(http, actor, again["id"], decision="approve")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)

    assert (again["step_key"], again["task_key"]) == ("brief", "research")
    assert again["output"] == "Tides follow the moon and the sun."
    assert done["status"] == "succeeded", done
    assert done["result"] == "A brief about tides."
    assert len(llm_server.chat_requests) == 3
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    waits = [e["data"]["step_key"] for e in events if e["type"] == "execution.waiting"]
    assert waits == ["brief", "brief"]


@pytest.mark.parametrize(("on_timeout", "next_step"), [("approve", "publish"), ("reject", "fix")])
async def test_a_flow_approval_left_unanswered_takes_its_default_action(
    app: FastAPI,
    client: httpx.AsyncClient,
    live: LiveServer,
    llm_server: ScriptedLLMServer,
    on_timeout: str,
    next_step: str,
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        draft, publish, fix = await _review_crews(http, actor, llm_server)
        flow = review_flow(draft, publish, fix, timeout_s=60, on_timeout=on_timeout)
        execution_id, asked = await _waiting(http, actor, flow)
        state = live.app.state
        early = live.call(
            service.time_out_due(state.sessionmaker, state.bus, state.dispatcher, utcnow())
        )
        later = utcnow() + timedelta(seconds=61)
        late = live.call(
            service.time_out_due(state.sessionmaker, state.bus, state.dispatcher, later)
        )
        done = await wait_for(http, actor, execution_id)
        read = (await http.get(f"/api/v1/approvals/{asked['id']}", headers=actor.headers)).json()
        events = await all_events(http, actor, execution_id)

    assert asked["timeout_at"] is not None
    assert asked["on_timeout"] == on_timeout
    assert (early, late) == (0, 1)
    assert done["status"] == "succeeded", done
    assert set(done["task_outputs"]) == {"draft", next_step}
    assert (read["timed_out"], read["answered_by"], read["decision"]) == (True, None, on_timeout)
    assert _calls(llm_server, "Draft about tides") == 1
    _check_log(events, asked)
    answered = next(e for e in events if e["type"] == "approval.answered")
    assert (answered["data"]["by"], answered["data"]["timed_out"]) == (None, True)


async def test_a_rejected_task_inside_a_crew_step_fails_the_flow_as_rejected(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        llm_server.responder = answer_by_prompt(ANSWERS)
        research = await create_crew(http, actor, asking_crew(model))
        flow = {
            "name": "Brief",
            "inputs": [{"name": "topic"}],
            "steps": [{"key": "brief", "kind": "crew", "crew_id": research}],
            "edges": [],
        }
        execution_id, asked = await _waiting(http, actor, flow)
        await answer(http, actor, asked["id"], decision="reject", comment="No sources")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)

    assert done["status"] == "failed"
    assert done["error"].startswith("Rejected"), done["error"]
    assert "No sources" in done["error"]
    assert len(llm_server.chat_requests) == 1
    _check_log(events, asked)
    failed = next(e for e in events if e["type"] == "step.failed")
    assert failed["step_key"] == "brief"


async def test_parallel_approvals_are_asked_one_after_the_other_then_join(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        draft, publish, _ = await _review_crews(http, actor, llm_server)
        reviews = [
            {
                "key": key,
                "kind": "approval",
                "review": "${steps.draft.output}",
                "approval": {"question": f"{key} ok?"},
            }
            for key in ("legal", "style")
        ]
        flow = {
            "name": "Two reviews",
            "inputs": [{"name": "topic"}],
            "steps": [
                {"key": "draft", "kind": "crew", "crew_id": draft},
                *reviews,
                {
                    "key": "publish",
                    "kind": "crew",
                    "crew_id": publish,
                    "inputs": {"text": "${steps.legal.output}+${steps.style.output}"},
                },
            ],
            "edges": [
                {"source": "draft", "target": "legal"},
                {"source": "draft", "target": "style"},
                {"source": "legal", "target": "publish"},
                {"source": "style", "target": "publish"},
            ],
        }
        execution_id, first = await _waiting(http, actor, flow)
        await answer(http, actor, first["id"], decision="reply", reply="FIRST")
        await wait_for(http, actor, execution_id, {"waiting", "failed", "succeeded"})
        second = await next_pending(http, actor)
        await answer(http, actor, second["id"], decision="approve")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)
        trace = await _trace(http, actor, execution_id)

    assert {first["step_key"], second["step_key"]} == {"legal", "style"}
    assert done["status"] == "succeeded", done
    assert done["result"] == "PUBLISHED"
    assert _calls(llm_server, "Draft about tides") == 1
    texts = {first["step_key"]: "FIRST", second["step_key"]: "DRAFT-1"}
    assert _calls(llm_server, f"Publish [{texts['legal']}+{texts['style']}]") == 1
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    waits = [e["data"]["step_key"] for e in events if e["type"] == "execution.waiting"]
    assert waits == [first["step_key"], second["step_key"]]
    assert [e["type"] for e in events].count("step.started") == 4
    _check_trace(trace, steps=4, crews=2)


async def test_a_branch_beside_a_paused_crew_finishes_once_and_the_join_sees_both(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        llm_server.responder = answer_by_prompt({"Side note on tides": "SIDE"} | ANSWERS)
        research = await create_crew(http, actor, asking_crew(model))
        side = await create_crew(http, actor, one_task_crew(model, "Side", "Side note on {topic}"))
        summary = await create_crew(
            http, actor, one_task_crew(model, "Summary", "Summarise [{brief}]")
        )
        flow = {
            "name": "Brief beside a note",
            "inputs": [{"name": "topic"}],
            "steps": [
                {"key": "brief", "kind": "crew", "crew_id": research},
                {"key": "side", "kind": "crew", "crew_id": side},
                {
                    "key": "sum",
                    "kind": "crew",
                    "crew_id": summary,
                    "inputs": {"brief": "${steps.brief.output}/${steps.side.output}"},
                },
            ],
            "edges": [{"source": "brief", "target": "sum"}, {"source": "side", "target": "sum"}],
        }
        execution_id, asked = await _waiting(http, actor, flow)
        waiting = (
            await http.get(f"/api/v1/executions/{execution_id}", headers=actor.headers)
        ).json()
        await answer(http, actor, asked["id"], decision="approve")
        done = await wait_for(http, actor, execution_id)
        events = await all_events(http, actor, execution_id)
        trace = await _trace(http, actor, execution_id)

    assert waiting["task_outputs"] == {"side": "SIDE"}
    assert done["status"] == "succeeded", done
    assert _calls(llm_server, "Side note on tides") == 1
    assert _calls(llm_server, "Research tides") == 1
    assert _calls(llm_server, "Summarise [A brief about tides./SIDE]") == 1
    _check_log(events, asked)
    assert [e["type"] for e in events].count("step.started") == 3
    _check_trace(trace, steps=3, crews=3)
