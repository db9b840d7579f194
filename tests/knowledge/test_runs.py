"""An agent searching its crew's knowledge base in a real worker, seen in the event log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from kasal.core.config import Settings
from tests.executions.support import (
    all_events,
    create_crew,
    start,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import make_actor
from tests.knowledge.support import make_base, manual, policy, settled, upload
from tests.support.llm_server import ScriptedLLMServer, tool_call
from tests.support.server import LiveServer, live_settings


@pytest.fixture(scope="module")
def knowledge_live(db_url: str, settings: Settings) -> Iterator[LiveServer]:
    """A server on the in-process app's data dir: every process of one installation shares
    it, since a base's files and vectors are there."""
    with LiveServer(live_settings(db_url, settings.data_dir)) as server:
        yield server


async def test_an_agents_retrieval_reaches_the_event_log_with_its_source_file(
    app: FastAPI,
    client: httpx.AsyncClient,
    knowledge_live: LiveServer,
    llm_server: ScriptedLLMServer,
) -> None:
    actor = await make_actor(app, client)
    question = "How long does the warranty last?"
    llm_server.script(
        tool_call("knowledge_search", {"query": question, "k": 2}),
        "The warranty lasts two years (manual.pdf, page 1).",
        "The brief.",
    )
    async with httpx.AsyncClient(base_url=knowledge_live.url) as http:
        base = await make_base(http, actor.headers, name="Manuals")
        await upload(http, actor.headers, base["id"], "manual.pdf", manual())
        await upload(http, actor.headers, base["id"], "policy.docx", policy())
        assert {f["status"] for f in (await settled(http, actor.headers, base["id"])).values()} == {
            "ready"
        }
        model = await use_scripted_model(http, actor, llm_server)
        document = two_step_crew(model)
        document["agents"][0]["knowledge"] = [base["id"]]
        crew_id = await create_crew(http, actor, document)
        execution = await start(http, actor, crew_id)
        done = await wait_for(http, actor, execution["id"])
        events = await all_events(http, actor, execution["id"])

    assert done["status"] == "succeeded", done["error"]
    assert "knowledge_search" in llm_server.chat_requests[0].tool_names
    assert "knowledge_search" not in llm_server.chat_requests[2].tool_names  # the writer's
    assert "manual.pdf, page 1" in llm_server.chat_requests[1].prompt
    assert "warranty of two years" in llm_server.chat_requests[1].prompt
    [retrieved] = [e for e in events if e["type"] == "knowledge.retrieved"]
    assert retrieved["agent_key"] == "researcher"
    assert retrieved["data"]["query"] == question
    assert retrieved["data"]["bases"] == ["Manuals"]
    best = retrieved["data"]["hits"][0]
    assert (best["file"], best["page"], best["base_id"]) == ("manual.pdf", 1, base["id"])
    assert len(retrieved["data"]["hits"]) == 2
    tool_events = [e for e in events if e["type"].startswith("tool.")]
    assert [(e["type"], e["data"]["tool_id"]) for e in tool_events] == [
        ("tool.started", "knowledge_search"),
        ("tool.completed", "knowledge_search"),
    ]
    seqs = [e["seq"] for e in (tool_events[0], retrieved, tool_events[1])]
    assert seqs == sorted(seqs)
    assert "sk-test-key" not in json.dumps(events)
