"""A Databricks managed MCP server (a URL under the workspace's /api/2.0/mcp/): in Databricks
Apps mode its test and a crew's run call it with the signed-in user's forwarded token as the
bearer, which is stored nowhere and shown in no answer or event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.auth.repository import UserRepository
from tests.executions.support import all_events, start, two_step_crew, use_scripted_model, wait_for
from tests.factories import Actor
from tests.support.llm_server import ScriptedLLMServer, tool_call
from tests.support.mcp_server import McpServerProcess
from tests.support.server import LiveServer, live_settings

USER_TOKEN = "dapi-mcp-forwarded-user-token-1732050807"
MANAGED_PATH = "/api/2.0/mcp/functions/main/sales"
HEADERS = {"X-Forwarded-Email": "dana@corp.example", "X-Forwarded-Access-Token": USER_TOKEN}


@pytest.fixture(scope="module")
def call_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("managed-mcp") / "calls.log"


@pytest.fixture(scope="module")
def workspace_mcp(call_log: Path) -> Iterator[McpServerProcess]:
    """The workspace's managed MCP endpoint (Unity Catalog functions of main.sales)."""
    with McpServerProcess("streamable_http", call_log, path=MANAGED_PATH) as server:
        yield server


async def test_a_crew_uses_a_managed_mcp_server_with_the_users_token(
    app: FastAPI,
    llm_server: ScriptedLLMServer,
    workspace_mcp: McpServerProcess,
    call_log: Path,
    db_url: str,
    tmp_path: Path,
) -> None:
    settings = live_settings(
        db_url,
        tmp_path,
        auth_mode="databricks",
        databricks_host=workspace_mcp.base_url,
        tools_http_allow_private=True,  # the fake workspace is on loopback
    )
    with LiveServer(settings) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=HEADERS) as http:
            assert (await http.get("/api/v1/crews")).status_code == 200  # provisions Ana
            async with app.state.sessionmaker() as session:
                user = await UserRepository(session).by_email(HEADERS["X-Forwarded-Email"])
            assert user is not None
            actor = Actor(user, HEADERS)
            body = {"name": "sales", "transport": "streamable_http", "url": workspace_mcp.url}
            created = await http.post("/api/v1/mcp-servers", json=body)
            assert created.status_code == 201, created.text
            tested = await http.post(f"/api/v1/mcp-servers/{created.json()['id']}/test")
            assert tested.status_code == 200, tested.text
            assert tested.json()["ok"], tested.json()
            assert "add" in {t["name"] for t in tested.json()["tools"]}

            model = await use_scripted_model(http, actor, llm_server)
            crew = await http.post(
                "/api/v1/crews", json=two_step_crew(model, tools=[{"tool_id": "mcp:sales/add"}])
            )
            assert crew.status_code == 201, crew.text
            assert crew.json()["problems"] == []
            llm_server.script(tool_call("sales_add", {"a": 20, "b": 22}), "Forty-two.", "Brief.")
            done = await wait_for(http, actor, (await start(http, actor, crew.json()["id"]))["id"])
            events = await all_events(http, actor, done["id"])
            read = await http.get(f"/api/v1/mcp-servers/{created.json()['id']}")

    assert done["status"] == "succeeded", done
    calls = [json.loads(line) for line in call_log.read_text().splitlines()]  # noqa: ASYNC240
    add = {"tool": "add", "args": {"a": 20, "b": 22}, "token": None}
    assert calls == [{**add, "bearer": USER_TOKEN}]
    assert "The sum is 42." in llm_server.chat_requests[1].prompt
    assert read.json()["header_names"] == []  # the token was never stored as a header
    assert USER_TOKEN not in json.dumps(events) + json.dumps(done) + read.text
