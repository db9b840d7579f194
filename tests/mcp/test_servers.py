"""/api/v1/mcp-servers: registering servers, the operator's limits, discovery, isolation."""

from __future__ import annotations

import sys
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from kasal.mcp.models import McpServer
from tests.factories import Actor, crew_document, make_actor, make_crew
from tests.mcp.conftest import stdio_body
from tests.support.mcp_server import McpServerProcess, free_port

URL = "/api/v1/mcp-servers"
TOOLS = ["add", "slow", "stubborn", "explode"]


async def create(
    http: httpx.AsyncClient, actor: Actor, body: dict[str, object], status: int = 201
) -> dict[str, Any]:
    response = await http.post(URL, json=body, headers=actor.headers)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def discover(http: httpx.AsyncClient, actor: Actor, server_id: str) -> dict[str, Any]:
    response = await http.post(f"{URL}/{server_id}/test", headers=actor.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def tool_refs(*tool_ids: str) -> dict[str, Any]:
    document = crew_document()
    document["agents"][0]["tools"] = [{"tool_id": t} for t in tool_ids]
    return document


async def test_secrets_are_stored_encrypted_and_never_answered(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    secret = "tok-" + "x" * 20
    created = await create(mcp_client, actor, stdio_body(env={"MCP_TOKEN": secret}))
    assert created["env_names"] == ["MCP_TOKEN"]
    assert created["tool_count"] is None
    listed = await mcp_client.get(URL, headers=actor.headers)
    patched = await mcp_client.patch(
        f"{URL}/{created['id']}", json={"env": {"OTHER": "v"}}, headers=actor.headers
    )
    assert patched.json()["env_names"] == ["MCP_TOKEN", "OTHER"]  # merged, not replaced
    for response in (listed, patched):
        assert secret not in response.text
    async with mcp_app.state.sessionmaker() as session:
        stored = (await session.scalars(select(McpServer.secrets_encrypted))).one()
    assert secret not in stored
    removed = await mcp_client.patch(
        f"{URL}/{created['id']}", json={"env": {"MCP_TOKEN": None}}, headers=actor.headers
    )
    assert removed.json()["env_names"] == ["OTHER"]


async def test_a_stdio_command_off_the_allow_list_is_refused_with_how_to_enable_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)  # the session's app allows no stdio command
    body = await create(client, actor, stdio_body(), status=422)
    assert body["error"]["code"] == "mcp_stdio_not_allowed"
    assert "KASAL_MCP_STDIO_COMMANDS" in body["error"]["message"]
    assert sys.executable in body["error"]["message"]


async def test_loopback_urls_are_refused_unless_the_operator_allows_private_addresses(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    body = {"name": "local", "transport": "sse", "url": "http://127.0.0.1:9/sse"}
    refused = await create(client, actor, body, status=422)
    assert refused["error"]["code"] == "mcp_url_refused"
    assert "loopback" in refused["error"]["message"]


async def test_each_transport_takes_its_own_fields(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    mixed = await create(mcp_client, actor, stdio_body(url="http://x.example/mcp"), status=422)
    assert mixed["error"]["code"] == "invalid_mcp_server"
    no_url = await create(mcp_client, actor, {"name": "r", "transport": "sse"}, status=422)
    assert "needs a url" in no_url["error"]["message"]
    bad_name = await create(mcp_client, actor, stdio_body(name="Has/Slash"), status=422)
    assert bad_name["error"]["code"] == "validation_error"
    await create(mcp_client, actor, stdio_body())
    taken = await create(mcp_client, actor, stdio_body(), status=409)
    assert taken["error"]["code"] == "mcp_server_name_taken"


async def test_discovery_over_stdio(mcp_app: FastAPI, mcp_client: httpx.AsyncClient) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    server = await create(mcp_client, actor, stdio_body())

    found = await discover(mcp_client, actor, server["id"])

    assert found["ok"] is True
    assert [t["name"] for t in found["tools"]] == TOOLS
    add = found["tools"][0]
    assert add["description"] == "Add two whole numbers."
    assert set(add["input_schema"]["properties"]) == {"a", "b"}
    kept = await mcp_client.get(f"{URL}/{server['id']}/tools", headers=actor.headers)
    assert kept.json() == found
    read = await mcp_client.get(f"{URL}/{server['id']}", headers=actor.headers)
    assert read.json()["tool_count"] == len(TOOLS)


async def test_discovery_over_sse_and_streamable_http(
    mcp_app: FastAPI,
    mcp_client: httpx.AsyncClient,
    sse_server: McpServerProcess,
    streamable_server: McpServerProcess,
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    for remote in (sse_server, streamable_server):
        body = {
            "name": remote.transport.replace("_", "-"),
            "transport": remote.transport,
            "url": remote.url,
            "headers": {"X-Token": "header-secret"},
        }
        server = await create(mcp_client, actor, body)
        assert server["header_names"] == ["X-Token"]
        found = await discover(mcp_client, actor, server["id"])
        assert found["ok"] is True, found
        assert [t["name"] for t in found["tools"]] == TOOLS


async def test_a_server_that_is_down_is_answered_in_plain_words(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    url = f"http://127.0.0.1:{free_port()}/mcp"
    server = await create(
        mcp_client, actor, {"name": "down", "transport": "streamable_http", "url": url}
    )

    found = await discover(mcp_client, actor, server["id"])

    assert found["ok"] is False
    assert found["tools"] == []
    assert found["error"].startswith(f"The MCP server 'down' cannot be reached at {url}")
    kept = await mcp_client.get(f"{URL}/{server['id']}/tools", headers=actor.headers)
    assert kept.json()["error"] == found["error"]


async def test_a_command_that_exits_and_one_that_never_answers(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    code = "import os, sys; sys.exit('token refused: ' + os.environ['MCP_TOKEN'])"
    exits = stdio_body("exits", args=["-c", code], env={"MCP_TOKEN": "tok-private-1234"})
    silent = stdio_body("silent", args=["-c", "import time; time.sleep(60)"], connect_timeout_s=0.5)

    exited = await discover(mcp_client, actor, (await create(mcp_client, actor, exits))["id"])
    timed_out = await discover(mcp_client, actor, (await create(mcp_client, actor, silent))["id"])

    assert exited["ok"] is False
    assert "exited before answering" in exited["error"]
    assert "token refused: ***" in exited["error"]  # what it wrote, less its secrets
    assert timed_out["ok"] is False
    assert "did not answer in time (timeout 0.5 s)" in timed_out["error"]


async def test_crews_check_mcp_tools_against_the_discovered_list(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    server = await create(mcp_client, actor, stdio_body())
    before = await make_crew(mcp_client, actor, tool_refs("mcp:calc/anything"))
    assert before["problems"] == []  # not discovered yet: any tool name may be right
    await discover(mcp_client, actor, server["id"])

    crew = await make_crew(mcp_client, actor, tool_refs("mcp:calc/add", "mcp:calc/nope", "mcp:x"))

    codes = {p["pointer"]: p["code"] for p in crew["problems"]}
    assert codes == {
        "/agents/0/tools/1/tool_id": "unknown_source_tool",
        "/agents/0/tools/2/tool_id": "unknown_tool_source",
    }
    await mcp_client.patch(f"{URL}/{server['id']}", json={"enabled": False}, headers=actor.headers)
    again = await mcp_client.get(f"/api/v1/crews/{crew['id']}", headers=actor.headers)
    assert "tool_source_disabled" in {p["code"] for p in again.json()["problems"]}


async def test_another_group_cannot_see_or_use_the_servers(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient
) -> None:
    owner = await make_actor(mcp_app, mcp_client)
    other = await make_actor(mcp_app, mcp_client)
    server = await create(mcp_client, owner, stdio_body())
    path = f"{URL}/{server['id']}"

    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test")):
        body = {"enabled": False} if method == "PATCH" else None
        response = await mcp_client.request(method, path + suffix, json=body, headers=other.headers)
        assert response.status_code == 404, (method, response.text)
    assert (await mcp_client.get(f"{path}/tools", headers=other.headers)).status_code == 404
    assert (await mcp_client.get(URL, headers=other.headers)).json()["items"] == []
    crew = await make_crew(mcp_client, other, tool_refs("mcp:calc"))
    assert [p["code"] for p in crew["problems"]] == ["unknown_tool_source"]
    await create(mcp_client, other, stdio_body())  # the name is free in their group


async def test_a_command_the_operator_no_longer_allows_can_be_switched_off_not_run(
    mcp_app: FastAPI, mcp_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(mcp_app, mcp_client)
    server = await create(mcp_client, actor, stdio_body())
    path = f"{URL}/{server['id']}"

    # The session's app is the same instance after its operator emptied the allow-list.
    switched_off = await client.patch(path, json={"enabled": False}, headers=actor.headers)
    tested = await client.post(f"{path}/test", headers=actor.headers)

    assert switched_off.status_code == 200, switched_off.text
    assert tested.status_code == 422
    assert tested.json()["error"]["code"] == "mcp_stdio_not_allowed"
