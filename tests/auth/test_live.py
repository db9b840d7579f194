"""Against a real uvicorn server: the loop stays free while passwords are checked, no secret
reaches a log line, and uvicorn does not name itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect

from tests.factories import PASSWORD, make_user
from tests.support.app import make_settings
from tests.support.database import reset_database
from tests.support.server import LiveServer

# What 20 failed logins may add to /health's p95 over the same server's idle p95. Measured
# against idle because on a shared 2-core machine other people's work moves the idle p95
# (11-27 ms seen); hashing off the loop added up to 30 ms, hashing on it 2.4-2.6 s.
HEALTH_P95_ADDED_S = 0.100


@pytest.fixture(scope="module")
def server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """No workers; argon2 at its real cost (64 MiB), which the shared test app turns down."""
    settings = make_settings(db_url, tmp_path_factory.mktemp("live-auth"), argon2_memory_kib=65536)
    with LiveServer(settings) as live:
        yield live


@pytest.fixture
async def live(server: LiveServer, app: FastAPI) -> Iterator[LiveServer]:
    yield server
    await reset_database(app)
    server.app.state.login_limiter.reset()


async def _health_latencies(http: httpx.AsyncClient, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await http.get("/health")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        await asyncio.sleep(0.01)
    return latencies


async def test_health_answers_quickly_while_failed_logins_run(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        await _health_latencies(http, 3)  # the connection's first costs out of the way
        idle = await _health_latencies(http, 20)

        async def fail(n: int) -> httpx.Response:
            body = {"username": f"nobody{n}@example.com", "password": "wrong"}
            return await http.post("/api/v1/auth/login", json=body)

        logins = asyncio.gather(*(fail(n) for n in range(20)))
        await asyncio.sleep(0.05)  # let the logins reach the server first
        latencies = await _health_latencies(http, 40)
        answers = await logins
    assert all(a.status_code == 401 for a in answers)
    p95, idle_p95 = (statistics.quantiles(x, n=20)[-1] for x in (latencies, idle))
    logging.getLogger(__name__).warning(
        "health p95: idle %.1f ms, under 20 failed logins %.1f ms (median %.1f ms)",
        idle_p95 * 1e3,
        p95 * 1e3,
        statistics.median(latencies) * 1e3,
    )
    assert p95 < idle_p95 + HEALTH_P95_ADDED_S, [round(x * 1e3, 1) for x in latencies]


async def test_no_token_or_password_reaches_the_log(
    live: LiveServer, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = await make_user(app)
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        signed_in = await http.post(
            "/api/v1/auth/login", json={"username": user.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200
        access, refresh = signed_in.json()["access_token"], signed_in.json()["refresh_token"]
        me = await http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200
        assert "server" not in me.headers
        renewed = await http.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        assert renewed.status_code == 200
    async with connect(f"{live.ws_url}/ws?token={access}") as socket:
        await socket.send('{"type": "ping"}')
        await socket.recv()
    for _ in range(100):  # uvicorn logs the socket's line from its own thread: wait for it
        if '"WebSocket /ws?' in caplog.text:
            break
        await asyncio.sleep(0.05)
    logged = caplog.text
    # The socket's line is there, masked: by Kasal's filter, or by the one litellm adds to
    # uvicorn's loggers once it is imported (crew generation calls models from this process).
    assert re.search(r'"WebSocket /ws\?(token=\*\*\*|REDACTED)"', logged), logged
    assert "/api/v1/users/me" in logged
    for secret in (access, refresh, renewed.json()["refresh_token"], PASSWORD):
        assert secret not in logged


async def _answer_to(live: LiveServer, head: bytes, chunks: int) -> bytes:
    """The server's first bytes, while we keep sending `chunks` chunks of 64 KiB."""
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)

    async def send() -> None:
        with contextlib.suppress(ConnectionError):  # the server may hang up mid-body
            writer.write(head)
            for _ in range(chunks):
                writer.write(b"10000\r\n" + b" " * 0x10000 + b"\r\n")
                await writer.drain()

    async def answer() -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.IGNORECASE)
        return head + await reader.readexactly(int(length.group(1)) if length else 0)

    sending = asyncio.create_task(send())
    try:
        return await asyncio.wait_for(answer(), timeout=30)
    finally:
        sending.cancel()
        writer.close()


async def test_an_oversized_body_is_refused_over_real_http(live: LiveServer) -> None:
    declared = await _answer_to(
        live,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 209715200\r\n\r\n",
        chunks=0,
    )
    assert declared.startswith(b"HTTP/1.1 413 "), declared
    assert b'"body_too_large"' in declared
    streamed = await _answer_to(
        live,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        chunks=200,  # 12.5 MiB, three times the limit
    )
    assert streamed.startswith(b"HTTP/1.1 413 "), streamed
    assert b'"body_too_large"' in streamed
