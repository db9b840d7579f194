"""Talking to MCP servers with the `mcp` SDK: connect, list tools, call one.

Crewai-free, so the API process (discovery, `POST /mcp-servers/{id}/test`) and the engine
(runs, see `engine.tools.mcp`) share one way to connect. Remote servers are reached only at
addresses the tool policy allows (`engine.tools.addresses`), each request pinned to the
address just checked. A stdio server is a child process of whoever connects: it lives as
long as the `connect` block, and leaving the block however (the end, an error, a cancel)
stops it. The SDK first closes its stdin, then signals its process group; on a cancel anyio
kills it outright.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError
from mcp.types import CallToolResult, TextContent
from pydantic import SecretStr

from kasal.engine.spec import McpServerConfig
from kasal.engine.tools.addresses import AddressPolicy, checked_address, policy
from kasal.engine.tools.base import ToolError

# What a server that is down, refuses us, exits or speaks something else makes the SDK raise;
# anyio wraps a failure of the transport's own tasks in an ExceptionGroup.
_CONNECTION_FAILURES = (
    OSError,
    McpError,
    httpx.HTTPError,
    anyio.BrokenResourceError,
    ExceptionGroup,
)


class McpUnavailable(Exception):
    """The server could not be reached, or did not answer as an MCP server. For the user."""


def with_databricks_token(config: McpServerConfig, token: SecretStr | None) -> McpServerConfig:
    """A managed server's configuration with the Databricks token as its bearer header;
    other servers as they are. McpUnavailable when a managed server has no token."""
    if not config.databricks:
        return config
    if token is None:
        raise McpUnavailable(
            f"The MCP server {config.name!r} is a Databricks managed server, and there is no "
            "Databricks token to call it with: sign in through the Databricks App, or add the "
            "group's databricks API key under Settings > API keys."
        )
    bearer = SecretStr(f"Bearer {token.get_secret_value()}")
    return config.model_copy(update={"headers": {**config.headers, "Authorization": bearer}})


@dataclass(frozen=True)
class McpToolInfo:
    """One tool a server offers, as it describes itself."""

    name: str
    description: str
    input_schema: dict[str, Any]


class _PinnedTransport(httpx.AsyncBaseTransport):
    """Sends every request to an address of its host that the policy allows, checked just
    before, keeping the host's name for the Host header and TLS; the client sets the
    response's request back to the original."""

    def __init__(self, address_policy: AddressPolicy) -> None:
        self._policy = address_policy
        self._inner = httpx.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            ip = await asyncio.to_thread(checked_address, url.host, port, self._policy)
        except ToolError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=str(ip)),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": url.host},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self._inner.aclose()


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why a server URL cannot be used (not http(s), or a refused address), if it cannot."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"{url!r} is not a valid URL: {exc}"
    if target.scheme not in ("http", "https") or not target.host:
        return f"{url!r} is not an absolute http(s) URL."
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        checked_address(target.host, port, policy(allow_private))
    except ToolError as exc:
        return str(exc)
    return None


@asynccontextmanager
async def connect(
    config: McpServerConfig, *, allow_private: bool, cwd: Path | None = None
) -> AsyncIterator[ClientSession]:
    """An initialised session with the server, for the duration of the block.

    Raises McpUnavailable, in plain words, when the server cannot be reached in time.
    `cwd` is where a stdio server runs when its config names no folder.
    """
    connected = False  # past this, what the block raises is the caller's, not ours to word
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
        try:
            async with AsyncExitStack() as stack:
                transport = _transport(config, allow_private, cwd, errlog)
                read, write = await stack.enter_async_context(transport)
                session = await stack.enter_async_context(
                    ClientSession(read, write, timedelta(seconds=config.call_timeout_s))
                )
                with anyio.fail_after(config.connect_timeout_s):
                    await session.initialize()
                connected = True
                yield session
        except (TimeoutError, *_CONNECTION_FAILURES) as exc:
            if connected:
                raise
            if isinstance(exc, TimeoutError):
                raise McpUnavailable(_too_slow(config)) from None
            raise McpUnavailable(describe(config, exc, _tail(errlog, config))) from None


async def discover(config: McpServerConfig, *, allow_private: bool) -> list[McpToolInfo]:
    """The server's tools. A hard deadline (twice the connect timeout: connecting, then
    listing) bounds the whole exchange; a stdio server is stopped before this returns."""
    try:
        with anyio.fail_after(config.connect_timeout_s * 2):
            async with connect(config, allow_private=allow_private) as session:
                return await list_tools(session)
    except TimeoutError:
        raise McpUnavailable(_too_slow(config)) from None


async def list_tools(session: ClientSession) -> list[McpToolInfo]:
    tools: list[McpToolInfo] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(cursor)
        tools += [McpToolInfo(t.name, t.description or "", t.inputSchema) for t in page.tools]
        cursor = page.nextCursor
        if not cursor:
            return tools


def result_text(result: CallToolResult) -> str:
    """What a tool call answered, as the text a model reads."""
    parts = [c.text if isinstance(c, TextContent) else c.model_dump_json() for c in result.content]
    if not parts and result.structuredContent is not None:
        return str(result.structuredContent)
    return "\n".join(parts)


def describe(config: McpServerConfig, exc: BaseException, stderr: str = "") -> str:
    """A connection failure in plain words, naming the server and the innermost cause."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    where = config.command if config.transport == "stdio" else config.url
    if isinstance(exc, FileNotFoundError):
        return f"The MCP server {config.name!r} cannot start: {config.command!r} was not found."
    if isinstance(exc, httpx.ConnectError):
        return f"The MCP server {config.name!r} cannot be reached at {where}: {exc}"
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return f"The MCP server {config.name!r} at {where} answered HTTP {status}."
    if config.transport == "stdio" and isinstance(exc, McpError | anyio.BrokenResourceError):
        said = f" It wrote: {stderr}" if stderr else ""
        return (
            f"The MCP server {config.name!r} ({where}) exited before answering; check its "
            f"command, arguments and environment.{said}"
        )
    return f"The MCP server {config.name!r} ({where}) failed: {exc or type(exc).__name__}"


# Run by this Python before the server: the kernel kills it when its parent dies (Linux's
# PR_SET_PDEATHSIG), or it stops at once if the parent died already; then it becomes the
# server (exec: same process, same pid). Cleanly, the SDK stops a stdio server when its
# connection ends; this also covers a worker killed outright, which runs no cleanup.
_LAUNCHER = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL); "
    "os.getppid() == int(sys.argv[1]) or sys.exit('the parent process is gone'); "
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


def _tied_to_this_process(command: str, args: list[str]) -> tuple[str, list[str]]:
    """The command line that starts a stdio server bound to the life of this process."""
    if not sys.platform.startswith("linux"):
        return command, args
    return sys.executable, ["-I", "-c", _LAUNCHER, str(os.getpid()), command, *args]


def _too_slow(config: McpServerConfig) -> str:
    seconds = f"{config.connect_timeout_s:g}"
    return f"The MCP server {config.name!r} did not answer in time (timeout {seconds} s)."


def _tail(errlog: TextIO, config: McpServerConfig, limit: int = 500) -> str:
    """The end of what a stdio server wrote to stderr (often why it stopped), without the
    values of its secrets, should it have printed them."""
    try:
        errlog.seek(0)
        tail = errlog.read()[-limit:].strip()
    except (OSError, ValueError):  # closed already
        return ""
    for secret in config.env.values():
        if value := secret.get_secret_value():
            tail = tail.replace(value, "***")
    return tail


@asynccontextmanager
async def _transport(
    config: McpServerConfig, allow_private: bool, cwd: Path | None, errlog: TextIO
) -> AsyncIterator[tuple[Any, Any]]:
    headers = {name: value.get_secret_value() for name, value in config.headers.items()}
    timeout = httpx.Timeout(config.connect_timeout_s, read=max(config.call_timeout_s, 300))
    if config.transport == "stdio":
        command = config.command or ""
        if shutil.which(command) is None:
            raise FileNotFoundError(command)
        launcher, args = _tied_to_this_process(command, config.args)
        params = StdioServerParameters(
            command=launcher,
            args=args,
            env={name: value.get_secret_value() for name, value in config.env.items()},
            cwd=config.cwd or cwd,
        )
        async with stdio_client(params, errlog=errlog) as (read, write):
            yield read, write
        return
    url = config.url or ""
    transport = _PinnedTransport(policy(allow_private))

    def client(
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = timeout,
        auth: httpx.Auth | None = None,
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport, headers=headers, timeout=timeout, auth=auth, trust_env=False
        )

    if config.transport == "sse":
        async with sse_client(
            url, headers, config.connect_timeout_s, httpx_client_factory=client
        ) as (read, write):
            yield read, write
        return
    async with (
        client(headers) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
    ):
        yield read, write
