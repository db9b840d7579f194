"""Runs of a tracing group reach the MLflow tracking server once, as a span tree."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from mlflow.entities import TraceData, TraceInfo

from tests.executions.support import create_crew, start, two_step_crew, use_scripted_model, wait_for
from tests.factories import make_actor
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.mlflow_server import MlflowServer
from tests.support.server import LiveServer
from tests.tracing.conftest import enable, export_settled


def _attribute(span: dict[str, Any], key: str) -> Any:
    return json.loads(span["attributes"][key])


def _tree(spans: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(type, name, parent's name) of every span, in the order they were exported."""
    names = {span["span_id"]: span["name"] for span in spans}
    return [
        (_attribute(span, "mlflow.spanType"), span["name"], names.get(span["parent_span_id"]))
        for span in spans
    ]


async def _run_tool_crew(
    http: httpx.AsyncClient, actor: Any, llm_server: ScriptedLLMServer
) -> dict[str, Any]:
    model = await use_scripted_model(http, actor, llm_server)
    tools = [{"tool_id": "current_datetime", "config": {}}]
    crew_id = await create_crew(http, actor, two_step_crew(model, tools=tools))
    llm_server.script(
        tool_call("current_datetime", {}),
        text("Tides follow the moon."),
        text("Thought: done\nFinal Answer: A brief about tides."),
    )
    execution = await start(http, actor, crew_id)
    return await wait_for(http, actor, execution["id"])


async def test_a_traced_run_becomes_one_trace_of_crew_task_agent_llm_and_tool_spans(
    app: FastAPI,
    client: httpx.AsyncClient,
    traced_live: LiveServer,
    mlflow: MlflowServer,
    llm_server: ScriptedLLMServer,
) -> None:
    actor = await make_actor(app, client)
    experiment = f"/Shared/kasal-{uuid.uuid4().hex}"  # the server outlives a test
    async with httpx.AsyncClient(base_url=traced_live.url) as http:
        await enable(http, actor, experiment)
        done = await _run_tool_crew(http, actor, llm_server)
        export = await export_settled(http, actor, done["id"], {"exported", "failed"})
        status = (await http.get("/api/v1/tracing", headers=actor.headers)).json()

    assert done["status"] == "succeeded"
    assert export["status"] == "exported", export
    assert export["attempts"] == 1
    assert status["recent"][0]["trace_id"] == export["trace_id"]
    [trace] = mlflow.traces_in(experiment)
    # What was sent reads back as mlflow's own entities.
    assert TraceInfo.from_dict(trace.info).trace_id == export["trace_id"]
    assert len(TraceData.from_dict(trace.data or {}).spans) == len(trace.spans)
    assert trace.info["trace_id"] == export["trace_id"]
    assert trace.info["state"] == "OK"
    assert trace.info["client_request_id"] == done["id"]
    tree = _tree(trace.spans)
    assert tree[0] == ("CHAIN", "Research brief", None)
    assert ("CHAIN", "Research", "Research brief") in tree
    assert ("CHAIN", "Write", "Research brief") in tree
    assert ("AGENT", "Researcher", "Research") in tree
    assert ("AGENT", "Writer", "Write") in tree
    assert ("TOOL", "current_datetime", "Researcher") in tree
    llm_parents = {parent for kind, _, parent in tree if kind == "LLM"}
    assert llm_parents == {"Researcher", "Writer"}
    llm_spans = [s for s in trace.spans if _attribute(s, "mlflow.spanType") == "LLM"]
    usage = [_attribute(s, "mlflow.chat.tokenUsage") for s in llm_spans]
    assert all(u["input_tokens"] > 0 and u["total_tokens"] > 0 for u in usage)
    root_usage = _attribute(trace.spans[0], "mlflow.chat.tokenUsage")
    assert root_usage["total_tokens"] == done["usage"]["total_tokens"]
    assert root_usage["total_tokens"] == sum(u["total_tokens"] for u in usage)
    assert all(span["status"]["code"] == "STATUS_CODE_OK" for span in trace.spans)
    # The tracking server's token went in the header, and nowhere in what was sent.
    assert all(
        r.headers.get("Authorization") == "Bearer tracking-token-1234" for r in mlflow.requests
    )
    assert all(b"tracking-token-1234" not in r.body for r in mlflow.requests)
    assert all(b"sk-test-key" not in r.body for r in mlflow.requests)


async def test_a_group_without_tracing_sends_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    traced_live: LiveServer,
    mlflow: MlflowServer,
    llm_server: ScriptedLLMServer,
) -> None:
    actor = await make_actor(app, client)
    async with httpx.AsyncClient(base_url=traced_live.url) as http:
        done = await _run_tool_crew(http, actor, llm_server)
        seen = len(mlflow.requests)
        traced_live.call(traced_live.app.state.trace_exporter.run_once())
        export = await http.get(f"/api/v1/tracing/executions/{done['id']}", headers=actor.headers)

    assert done["status"] == "succeeded"
    assert export.status_code == 200
    assert export.json() == {"execution_id": done["id"], "export": None}
    assert len(mlflow.requests) == seen
    assert all(done["id"].encode() not in r.body for r in mlflow.requests)


async def test_a_failing_tracking_server_leaves_the_run_succeeded_and_is_retried(
    app: FastAPI,
    client: httpx.AsyncClient,
    traced_live: LiveServer,
    mlflow: MlflowServer,
    llm_server: ScriptedLLMServer,
) -> None:
    actor = await make_actor(app, client)
    experiment = f"/Shared/flaky-{uuid.uuid4().hex}"
    mlflow.fail_with(500)
    try:
        async with httpx.AsyncClient(base_url=traced_live.url) as http:
            await enable(http, actor, experiment)
            done = await _run_tool_crew(http, actor, llm_server)
            failed = await export_settled(http, actor, done["id"], {"failed"})
            mlflow.recover()
            exported = await export_settled(http, actor, done["id"], {"exported"})
            again = await http.get(f"/api/v1/executions/{done['id']}", headers=actor.headers)
    finally:
        mlflow.recover()

    assert done["status"] == "succeeded"
    assert "500" in failed["error"] or "Overloaded" in failed["error"], failed
    assert failed["next_attempt_at"] is not None
    assert exported["attempts"] >= 2
    assert exported["error"] is None
    assert again.json()["status"] == "succeeded"
    assert [t.info["trace_id"] for t in mlflow.traces_in(experiment)] == [exported["trace_id"]]
