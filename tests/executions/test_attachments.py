"""Files attached to a run: stored with its request, placed in its folder under attachments/,
read there by an agent's tool, and served to its group only.

Real HTTP (multipart), real worker processes, the scripted LLM server, real folders.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from kasal.executions.models import ExecutionAttachment
from tests.executions.support import (
    all_events,
    create_crew,
    two_step_crew,
    use_scripted_model,
    wait_for,
)
from tests.factories import Actor, make_actor
from tests.support.llm_server import ScriptedLLMServer, text, tool_call
from tests.support.server import LiveServer

SALES = b"region,amount\nNorth,120\nSouth,80\n"
Files = list[tuple[str, tuple[str, bytes, str]]]


async def start_with_files(
    http: httpx.AsyncClient, actor: Actor, crew_id: str, files: Files
) -> httpx.Response:
    request = {"crew_id": crew_id, "inputs": {"topic": "sales"}}
    return await http.post(
        "/api/v1/executions/with-files",
        data={"request": json.dumps(request)},
        files=files,
        headers=actor.headers,
    )


def csv_file(name: str, content: bytes = SALES) -> tuple[str, tuple[str, bytes, str]]:
    return ("files", (name, content, "text/csv"))


async def test_an_agent_queries_a_file_attached_to_its_run(
    app: FastAPI, client: httpx.AsyncClient, live: LiveServer, llm_server: ScriptedLLMServer
) -> None:
    owner, stranger = await make_actor(app, client), await make_actor(app, client)
    sql = 'SELECT region FROM "attachments/sales.csv" ORDER BY amount DESC LIMIT 1'
    llm_server.script(
        tool_call("data_query", {"sql": sql}),
        text("Thought: done\nFinal Answer: North sells most."),
        text("Thought: ok\nFinal Answer: North leads the sales."),
    )
    async with httpx.AsyncClient(base_url=live.url) as http:
        model = await use_scripted_model(http, owner, llm_server)
        tools = [{"tool_id": "data_query", "config": {}}]
        crew_id = await create_crew(http, owner, two_step_crew(model, tools=tools))
        files = [csv_file("sales.csv"), ("files", ("notes.md", b"# Notes", "text/markdown"))]
        started = await start_with_files(http, owner, crew_id, files)
        assert started.status_code == 202, started.text
        done = await wait_for(http, owner, started.json()["id"])
        events = await all_events(http, owner, done["id"])
        url = f"/api/v1/executions/{done['id']}/files"
        listed = await http.get(url, headers=owner.headers)
        download = await http.get(f"{url}/attachments/sales.csv", headers=owner.headers)
        strangers = await http.get(f"{url}/attachments/sales.csv", headers=stranger.headers)
        deleted = await http.delete(f"/api/v1/executions/{done['id']}", headers=owner.headers)
    async with app.state.sessionmaker() as session:
        kept = await session.scalar(select(func.count()).select_from(ExecutionAttachment))

    assert done["status"] == "succeeded", done["error"]
    assert done["result"] == "North leads the sales."
    completed = [e for e in events if e["type"] == "tool.completed"]
    assert [e["data"]["tool"] for e in completed] == ["data_query"]
    assert "region\n------\nNorth\n(1 rows)" in llm_server.chat_requests[1].prompt
    assert [f["path"] for f in listed.json()["files"]] == [
        "attachments/notes.md",
        "attachments/sales.csv",
    ]
    assert download.content == SALES
    assert strangers.status_code == 404
    assert deleted.status_code == 204
    assert kept == 0  # the stored files go with their execution


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([csv_file(".env")], "invalid_attachment"),
        ([csv_file("../sales.csv")], "invalid_attachment"),
        ([csv_file("é" * 128 + ".csv")], "invalid_attachment"),  # 260 bytes
        ([csv_file("sales.csv"), csv_file("sales.csv")], "invalid_attachment"),
        ([csv_file(f"f{i}.csv") for i in range(21)], "too_many_attachments"),
    ],
)
async def test_unusable_attachments_are_refused(
    app: FastAPI, client: httpx.AsyncClient, files: Files, code: str
) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    response = await start_with_files(client, actor, crew_id, files)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    listed = await client.get("/api/v1/executions", headers=actor.headers)
    assert listed.json()["items"] == []  # nothing was queued


async def test_the_request_part_is_validated_like_the_json_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(
        "/api/v1/executions/with-files",
        data={"request": '{"crew_id": "not-a-uuid"}'},
        files=[csv_file("a.csv")],
        headers=actor.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    other = await make_actor(app, client)
    foreign = await start_with_files(client, other, crew_id, [csv_file("a.csv")])
    assert foreign.status_code == 404


async def test_attachments_over_the_size_limit_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    crew_id = await create_crew(client, actor, two_step_crew("demo"))
    limit = app.state.settings.attachments_max_bytes
    response = await start_with_files(client, actor, crew_id, [csv_file("big.csv", b"x" * limit)])
    assert response.status_code == 413
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == "body_too_large"
