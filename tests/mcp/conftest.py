"""An app whose operator allows this Python as a stdio MCP command and loopback URLs (the
test servers run on 127.0.0.1), and the MCP test servers over HTTP."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from tests.support.app import make_settings
from tests.support.database import reset_database
from tests.support.mcp_server import SCRIPT, McpServerProcess

ALLOWED = {"mcp_stdio_commands": [sys.executable], "tools_http_allow_private": True}


@pytest.fixture(scope="module")
async def mcp_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """Same database and secret key file as the session's app, other operator settings."""
    application = create_app(make_settings(settings.db_url, settings.data_dir, **ALLOWED))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def mcp_client(mcp_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mcp_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await reset_database(mcp_app)


@pytest.fixture(scope="module")
def call_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mcp") / "calls.log"


@pytest.fixture(scope="module")
def sse_server(call_log: Path) -> Iterator[McpServerProcess]:
    with McpServerProcess("sse", call_log) as server:
        yield server


@pytest.fixture(scope="module")
def streamable_server(call_log: Path) -> Iterator[McpServerProcess]:
    with McpServerProcess("streamable_http", call_log) as server:
        yield server


def stdio_body(name: str = "calc", **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": name,
        "transport": "stdio",
        "command": sys.executable,
        "args": [str(SCRIPT)],
        "env": {"MCP_TOKEN": "tok-" + "x" * 20},
    }
    return body | overrides
