"""Flow runs end to end: real server, real worker process, scripted LLM over HTTP.

Crews in parallel branches call the model at the same time, so the scripted server answers
by what each prompt asks (`responder`), not in a fixed order."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from tests.executions.support import all_events, create_crew, use_scripted_model, wait_for
from tests.factories import Actor, make_actor
from tests.flows.support import answer_by_prompt, one_task_crew, start_flow
from tests.support.llm_server import ScriptedLLMServer
from tests.support.server import LiveServer

SCORE_SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "integer"}, "note": {"type": "string"}},
    "required": ["score"],
}


async def run_flow(
    http: httpx.AsyncClient, actor: Actor, flow: dict[str, Any], inputs: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    execution = await start_flow(http, actor, flow, inputs)
    done = await wait_for(http, actor, execution["id"])
    return done, await all_events(http, actor, execution["id"])


def router_flow(score: str, good: str, bad: str) -> dict[str, Any]:
    return {
        "name": "Triage",
        "inputs": [{"name": "topic"}],
        "steps": [
            {"key": "score", "kind": "crew", "crew_id": score},
            {"key": "route", "kind": "router", "name": "Good enough?"},
            {
                "key": "good",
                "kind": "crew",
                "crew_id": good,
                "inputs": {"note": "${steps.score.json.note}"},
            },
            {"key": "bad", "kind": "crew", "crew_id": bad},
        ],
        "edges": [
            {"source": "score", "target": "route"},
            {
                "source": "route",
                "target": "good",
                "when": {"path": "steps.score.json.score", "op": "ge", "value": 7},
            },
            {"source": "route", "target": "bad", "default": True},
        ],
    }


async def test_a_router_picks_its_branch_from_a_json_task_output(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        score = await create_crew(
            http, actor, one_task_crew(model, "Scorer", "Score {topic}", json_schema=SCORE_SCHEMA)
        )
        good = await create_crew(http, actor, one_task_crew(model, "Praise", "Praise: {note}"))
        bad = await create_crew(http, actor, one_task_crew(model, "Rewrite", "Rewrite it all"))
        flow = router_flow(score, good, bad)
        outcomes = {}
        for value, name in ((8, "high"), (3, "low")):
            llm_server.reset()
            llm_server.responder = answer_by_prompt(
                {
                    "Score tides": json.dumps({"score": value, "note": f"{name} note"}),
                    "Praise: high note": "Praised.",
                    "Rewrite it all": "Rewritten.",
                }
            )
            outcomes[name] = await run_flow(
                http, actor, flow | {"name": f"Triage {name}"}, {"topic": "tides"}
            )

    high, high_events = outcomes["high"]
    assert high["status"] == "succeeded", high["error"]
    assert high["result"] == "Praised."
    assert set(high["task_outputs"]) == {"score", "good"}
    assert json.loads(high["task_outputs"]["score"]) == {"score": 8, "note": "high note"}
    routed = next(
        e for e in high_events if e["type"] == "step.completed" and e["step_key"] == "route"
    )
    assert routed["data"]["chosen"] == "good"
    skipped = [e["step_key"] for e in high_events if e["type"] == "step.skipped"]
    assert skipped == ["bad"]

    low, low_events = outcomes["low"]
    assert low["status"] == "succeeded", low["error"]
    assert low["result"] == "Rewritten."
    assert set(low["task_outputs"]) == {"score", "bad"}
    assert [e["step_key"] for e in low_events if e["type"] == "step.skipped"] == ["good"]
    types = [e["type"] for e in low_events]
    assert types[:3] == ["execution.queued", "execution.started", "flow.started"]
    assert types[-2:] == ["flow.completed", "execution.succeeded"]
    crew_events = [e for e in low_events if e["type"].startswith(("crew.", "task."))]
    assert {e["step_key"] for e in crew_events} == {"score", "bad"}


async def test_parallel_branches_run_and_their_join_sees_both_outputs(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, actor, llm_server)
        plan = await create_crew(http, actor, one_task_crew(model, "Plan", "Plan {topic}"))
        left = await create_crew(http, actor, one_task_crew(model, "Left", "Left side of {plan}"))
        right = await create_crew(http, actor, one_task_crew(model, "Right", "Right of {plan}"))
        join = await create_crew(
            http, actor, one_task_crew(model, "Join", "Join [{left}] with [{right}]")
        )
        llm_server.responder = answer_by_prompt(
            {
                "Plan tides": "PLAN-1",
                "Left side of PLAN-1": "LEFT-OUT",
                "Right of PLAN-1": "RIGHT-OUT",
                "Join [LEFT-OUT] with [RIGHT-OUT]": "JOINED",
            }
        )
        flow = {
            "name": "Fan out",
            "inputs": [{"name": "topic"}],
            "steps": [
                {"key": "plan", "kind": "crew", "crew_id": plan},  # {topic} ← the flow's input
                *(
                    {
                        "key": k,
                        "kind": "crew",
                        "crew_id": c,
                        "inputs": {"plan": "${steps.plan.output}"},
                    }
                    for k, c in (("left", left), ("right", right))
                ),
                {
                    "key": "join",
                    "kind": "crew",
                    "crew_id": join,
                    "inputs": {"left": "${steps.left.output}", "right": "${steps.right.output}"},
                },
            ],
            "edges": [
                {"source": "plan", "target": "left"},
                {"source": "plan", "target": "right"},
                {"source": "left", "target": "join"},
                {"source": "right", "target": "join"},
            ],
        }
        done, events = await run_flow(http, actor, flow, {"topic": "tides"})
        trace = (
            await http.get(f"/api/v1/executions/{done['id']}/trace", headers=actor.headers)
        ).json()

    assert done["status"] == "succeeded", done["error"]
    assert done["result"] == "JOINED"
    assert done["task_outputs"] == {
        "plan": "PLAN-1",
        "left": "LEFT-OUT",
        "right": "RIGHT-OUT",
        "join": "JOINED",
    }
    prompts = [r.prompt for r in llm_server.chat_requests]
    assert any("Join [LEFT-OUT] with [RIGHT-OUT]" in p for p in prompts)
    order = [e["step_key"] for e in events if e["type"] == "step.completed"]
    assert order[0] == "plan"
    assert order[-1] == "join"
    assert set(order[1:3]) == {"left", "right"}
    started = [e["step_key"] for e in events if e["type"] == "step.started"]
    # both branches started before either finished: they ran side by side
    first_branch_done = next(
        i for i, e in enumerate(events) if e["type"] == "step.completed" and e["step_key"] != "plan"
    )
    branch_starts = [
        i
        for i, e in enumerate(events)
        if e["type"] == "step.started" and e["step_key"] in ("left", "right")
    ]
    assert started.count("join") == 1
    assert max(branch_starts) < first_branch_done

    spans = {s["id"]: s for s in trace["spans"]}
    kinds = [s["kind"] for s in trace["spans"]]
    assert kinds.count("flow") == 1
    assert kinds.count("step") == 4
    for span in trace["spans"]:
        if span["kind"] == "crew":
            parent = spans[span["parent_id"]]
            assert parent["kind"] == "step"
            assert spans[parent["parent_id"]]["kind"] == "flow"
        assert span["status"] == "completed"
