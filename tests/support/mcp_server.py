"""A real MCP server (FastMCP) for tests, over stdio, SSE or streamable HTTP.

    python tests/support/mcp_server.py                       # stdio
    python tests/support/mcp_server.py --transport sse --port 8123

It appends one JSON line per tool call to the file named by `MCP_CALL_LOG` (if set), with
the arguments and the secret it was given (the `MCP_TOKEN` variable over stdio, the
`X-Token` header over HTTP) and the bearer token of its `Authorization` header, so a test
can see what reached it from another process. `--path` serves streamable HTTP at another
path than `/mcp` (a Databricks managed server's `/api/2.0/mcp/...`). When
`MCP_PID_FILE` is set it writes its process id there at start, so a test can check the
process is gone afterwards. `McpServerProcess` runs the HTTP flavours for a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal

from mcp.server.fastmcp import Context, FastMCP

HttpTransport = Literal["sse", "streamable_http"]
SCRIPT = Path(__file__)


def build(port: int = 8000, path: str = "/mcp") -> FastMCP:
    server = FastMCP("kasal-test", port=port, log_level="WARNING", streamable_http_path=path)

    def record(tool: str, ctx: Context, **args: object) -> None:
        log = os.environ.get("MCP_CALL_LOG")
        if not log:
            return
        request = ctx.request_context.request
        headers = getattr(request, "headers", None)
        token = headers.get("x-token") if headers is not None else os.environ.get("MCP_TOKEN")
        authorization = headers.get("authorization", "") if headers is not None else ""
        bearer = authorization.removeprefix("Bearer ") if authorization else None
        line: dict[str, object] = {"tool": tool, "args": args, "token": token}
        if bearer:
            line["bearer"] = bearer
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    @server.tool()
    def add(a: int, b: int, ctx: Context) -> str:
        """Add two whole numbers."""
        record("add", ctx, a=a, b=b)
        return f"The sum is {a + b}."

    @server.tool()
    async def slow(seconds: float, ctx: Context) -> str:
        """Wait for some seconds, then answer."""
        record("slow", ctx, seconds=seconds)
        await asyncio.sleep(seconds)
        return "done waiting"

    @server.tool()
    def stubborn(seconds: float, ctx: Context) -> str:
        """Wait without serving anything meanwhile, not even the end of its input."""
        record("stubborn", ctx, seconds=seconds)
        time.sleep(seconds)  # blocks the server's loop: a closed stdin goes unnoticed
        return "done waiting"

    @server.tool()
    def explode(ctx: Context) -> str:
        """Always fails."""
        record("explode", ctx)
        raise RuntimeError("the reactor is offline")

    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class McpServerProcess:
    """The server over HTTP in a child process, on a free port, for one test module."""

    def __init__(self, transport: HttpTransport, call_log: Path, path: str = "/mcp") -> None:
        self.transport = transport
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.url = self.base_url + ("/sse" if transport == "sse" else path)
        self._command = [sys.executable, str(SCRIPT), "--transport", transport, "--path", path]
        self._env = {**os.environ, "MCP_CALL_LOG": str(call_log)}
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> McpServerProcess:
        command = [*self._command, "--port", str(self.port)]
        self._process = subprocess.Popen(command, env=self._env)  # noqa: S603 (our own script)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the MCP test server ({self.transport}) did not start")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)


async def until(condition: Callable[[], bool], within: float = 30) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (another process changes the condition)
            await asyncio.sleep(0.05)


def process_exists(pid: int) -> bool:
    """Alive, and not a zombie waiting for its parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=["stdio", "sse", "streamable_http"])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--path", default="/mcp")
    args = parser.parse_args()
    pid_file = os.environ.get("MCP_PID_FILE")
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()))
    transport = args.transport or "stdio"
    server = build(args.port, args.path)
    server.run("streamable-http" if transport == "streamable_http" else transport)


if __name__ == "__main__":
    main()
