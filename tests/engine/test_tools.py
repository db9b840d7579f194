"""Built-in tools: safe by default."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kasal.engine.spec import CrewSpec, RunRequest, ToolRef, ToolSettings
from kasal.engine.tools.addresses import IPAddress, address_refusal
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.catalog import (
    CATALOG,
    FileWriteConfig,
    ToolConfigError,
    UnknownTool,
    list_tools,
)
from kasal.engine.tools.clock import CurrentDatetimeTool
from kasal.engine.tools.factory import build_tools
from kasal.engine.tools.files import FileReadTool, FileWriteTool
from kasal.engine.tools.http import HttpRequestTool


class _Handler(BaseHTTPRequestHandler):
    """/hello, /big, /redirect?to=URL, /echo (POST)."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(url.query)["to"][0])
            self.end_headers()
            return
        body = b"x" * 5000 if url.path == "/big" else f"hello from {self.headers['Host']}".encode()
        self._reply(body)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self._reply(self.headers["Content-Type"].encode() + b" " + self.rfile.read(length))

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


def _loopback_is_public(ip: IPAddress) -> str | None:
    """Test stand-in for the internet: 127.0.0.1 plays a public server."""
    return None if str(ip) == "127.0.0.1" else address_refusal(ip)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://localhost:8000/admin", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
    ],
)
def test_http_refuses_non_public_addresses(url: str, reason: str) -> None:
    with pytest.raises(ToolError, match=f"a {reason} address"):
        HttpRequestTool().run(url=url)


def test_http_refuses_other_schemes() -> None:
    with pytest.raises(ToolError, match="Only absolute http"):
        HttpRequestTool().run(url="file:///etc/passwd")


def test_address_policy_accepts_public_addresses() -> None:
    assert address_refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert address_refusal(ipaddress.ip_address("2606:4700::6810:85e5")) is None


def test_http_fetches_and_keeps_the_host_name(web: str) -> None:
    tool = HttpRequestTool(address_policy=_loopback_is_public)
    answer = tool.run(url=f"{web}/hello")
    host = web.removeprefix("http://")
    assert answer == f"HTTP 200 OK\nContent-Type: text/plain; charset=utf-8\n\nhello from {host}"


def test_http_posts_json(web: str) -> None:
    answer = HttpRequestTool(address_policy=_loopback_is_public).run(
        url=f"{web}/echo", method="POST", body='{"a": 1}'
    )
    assert answer.endswith('application/json {"a": 1}')


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:1/"]
)
def test_http_rechecks_every_redirect(web: str, target: str) -> None:
    tool = HttpRequestTool(address_policy=_loopback_is_public)
    with pytest.raises(ToolError, match="Refused"):
        tool.run(url=f"{web}/redirect?to={target}")


def test_http_follows_redirects_to_allowed_hosts(web: str) -> None:
    tool = HttpRequestTool(address_policy=_loopback_is_public)
    assert tool.run(url=f"{web}/redirect?to=/hello").startswith("HTTP 200 OK")


def test_http_reports_unreachable_servers() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    tool = HttpRequestTool(address_policy=_loopback_is_public)
    with pytest.raises(ToolError, match=f"The request to http://127.0.0.1:{port}/ failed"):
        tool.run(url=f"http://127.0.0.1:{port}/")


def test_http_turns_unsendable_requests_into_tool_errors(web: str) -> None:
    tool = HttpRequestTool(settings=ToolSettings(http_allow_private=True))
    with pytest.raises(ToolError, match="cannot be sent: encoding with 'idna' codec failed"):
        tool.run(url=f"http://{'a' * 300}.example/")
    with pytest.raises(ToolError, match="cannot be sent: 'utf-8' codec can't encode"):
        tool.run(url=f"{web}/echo", method="POST", body="half a pair: \ud800")


def _context(work_dir: Path, settings: ToolSettings | None = None) -> ToolContext:
    request = RunRequest(
        execution_id="run",
        crew=CrewSpec(name="c", agents=[], tasks=[]),
        work_dir=str(work_dir),
        tools=settings or ToolSettings(),
    )
    return ToolContext(request, work_dir)


def test_http_caps_the_body(web: str) -> None:
    tool = HttpRequestTool(
        settings=ToolSettings(http_max_bytes=100), address_policy=_loopback_is_public
    )
    answer = tool.run(url=f"{web}/big")
    assert answer.endswith("x" * 100 + "\n[truncated after 100 bytes]")


def test_http_private_allowed_by_operator(web: str) -> None:
    tool = HttpRequestTool(settings=ToolSettings(http_allow_private=True))
    assert tool.run(url=f"{web}/hello").startswith("HTTP 200 OK")


def test_http_allowed_hosts(web: str) -> None:
    (tool,) = build_tools(
        [ToolRef(tool_id="http_request", config={"allowed_hosts": ["example.org"]})],
        _context(Path("."), ToolSettings(http_allow_private=True)),
    )
    with pytest.raises(ToolError, match="not in this tool's allowed hosts"):
        tool.run(url=f"{web}/hello")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret.txt", "'..' is not allowed"),
        ("a/../../secret.txt", "'..' is not allowed"),
        ("/etc/passwd", "Absolute paths are not allowed"),
        ("link/secret.txt", "points outside the working directory"),
        ("", "Give a file path"),
    ],
)
def test_file_tools_stay_inside_the_work_dir(tmp_path: Path, path: str, message: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (work / "link").symlink_to(tmp_path)
    for tool in (FileReadTool(work_dir=work), FileWriteTool(work_dir=work)):
        with pytest.raises(ToolError, match=message):
            tool.run(path=path, **({"content": "x"} if tool.name == "file_write" else {}))
    assert (tmp_path / "secret.txt").read_text() == "secret"


def test_file_symlink_to_outside_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    work = tmp_path / "work"
    work.mkdir()
    (work / "innocent.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ToolError, match="outside"):
        FileReadTool(work_dir=work).run(path="innocent.txt")


def test_file_write_then_read(tmp_path: Path) -> None:
    assert FileWriteTool(work_dir=tmp_path).run(path="d/n.txt", content="héllo") == (
        "Wrote 6 bytes to d/n.txt."
    )
    assert FileReadTool(work_dir=tmp_path).run(path="d/n.txt") == "héllo"


def test_file_size_caps(tmp_path: Path) -> None:
    writer = FileWriteTool(work_dir=tmp_path, config=FileWriteConfig(max_bytes=3))
    with pytest.raises(ToolError, match="the limit is 3"):
        writer.run(path="big.txt", content="abcd")
    (tmp_path / "long.txt").write_text("abcdef")
    (reader,) = build_tools(
        [ToolRef(tool_id="file_read", config={"max_bytes": 4})], _context(tmp_path)
    )
    assert reader.run(path="long.txt") == "abcd\n[truncated after 4 bytes]"


def test_file_write_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("old")
    writer = FileWriteTool(work_dir=tmp_path, config=FileWriteConfig(overwrite=False))
    with pytest.raises(ToolError, match="already exists"):
        writer.run(path="keep.txt", content="new")
    assert (tmp_path / "keep.txt").read_text() == "old"


def test_current_datetime() -> None:
    tool = CurrentDatetimeTool()
    utc = tool.run()
    stamp = datetime.fromisoformat(utc.split(" ")[0])
    assert abs((stamp - datetime.now(UTC)).total_seconds()) < 5
    assert utc.endswith(", UTC)")
    assert "+09:00" in tool.run(timezone="Asia/Tokyo")
    with pytest.raises(ToolError, match="Unknown time zone 'Mars/Olympus'"):
        tool.run(timezone="Mars/Olympus")


def test_factory_refuses_unknown_tools_and_bad_config() -> None:
    with pytest.raises(UnknownTool, match=r"Unknown tool 'shell'\. Built-in tools are: "):
        build_tools([ToolRef(tool_id="shell")], _context(Path(".")))
    with pytest.raises(ToolConfigError, match="max_bytes"):
        build_tools([ToolRef(tool_id="file_read", config={"max_bytes": -1})], _context(Path(".")))
    with pytest.raises(ToolConfigError, match="colour"):
        build_tools(
            [ToolRef(tool_id="current_datetime", config={"colour": "red"})], _context(Path("."))
        )


def test_catalog_describes_every_tool() -> None:
    assert [t.id for t in list_tools()] == list(CATALOG)
    described = CATALOG["file_write"].describe()
    assert described["name"] == "Write file"
    assert described["config_schema"]["properties"]["overwrite"]["type"] == "boolean"


def test_api_modules_do_not_import_crewai() -> None:
    code = (
        "import sys, kasal.engine.spec, kasal.engine.env, kasal.engine.validate, "
        "kasal.engine.errors, kasal.engine.tools.catalog; "
        "assert 'crewai' not in sys.modules and 'litellm' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # noqa: S603
