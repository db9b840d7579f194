"""API errors become typed exceptions carrying the server's code; no server is a clear error."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from kasal.client import (
    AsyncKasal,
    AuthError,
    ConflictError,
    Kasal,
    KasalAPIError,
    KasalConnectionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from kasal.client.sync import deferred_interrupts


def _answering(status: int, body: Any, headers: dict[str, str] | None = None) -> Kasal:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return Kasal("http://kasal.test", "token", transport=httpx.MockTransport(handler))


def _error(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, KasalAPIError),
    ],
)
def test_each_status_raises_its_exception_with_the_servers_code(
    status: int, kind: type[KasalAPIError]
) -> None:
    details = [{"pointer": "/inputs/topic", "code": "missing_input"}]
    kasal = _answering(status, _error("some_code", "Something is wrong", details))
    with kasal, pytest.raises(kind) as raised:
        kasal.executions.get("0b6f0c1e-8f7c-4f65-9a2a-1c9e5b7d2a10")
    error = raised.value
    assert type(error) is kind
    assert (error.status, error.code, error.message) == (status, "some_code", "Something is wrong")
    assert error.details == details
    assert "Something is wrong" in str(error)


def test_retry_after_is_kept() -> None:
    body = _error("too_many_attempts", "Slow down")
    with _answering(429, body, {"Retry-After": "7"}) as kasal, pytest.raises(RateLimitError) as e:
        kasal.me()
    assert e.value.retry_after == 7


def test_an_answer_that_is_not_kasal_says_so() -> None:
    with _answering(404, "<html>Not here</html>") as kasal, pytest.raises(NotFoundError) as e:
        kasal.me()
    assert e.value.code == "http_404"
    assert "is it a Kasal server?" in e.value.message

    with _answering(200, "<html>hello</html>") as kasal, pytest.raises(KasalAPIError) as e:
        kasal.me()
    assert e.value.code == "unexpected_response"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_no_server_there_is_a_connection_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with Kasal(url, "token") as kasal, pytest.raises(KasalConnectionError) as raised:
        kasal.crews.list()
    assert str(raised.value) == f"Cannot reach Kasal at {url}: connection refused"


async def test_the_async_client_raises_the_same() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with AsyncKasal(url, "token") as kasal:
        with pytest.raises(KasalConnectionError, match="Cannot reach Kasal at http://127"):
            await kasal.me()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer secret"
        assert request.url.path == "/api/v1/crews/nope"
        return httpx.Response(404, json=_error("crew_not_found", "No such crew"))

    async with AsyncKasal(
        "http://kasal.test/api/v1", "secret", transport=httpx.MockTransport(handler)
    ) as kasal:
        with pytest.raises(NotFoundError, match="No such crew"):
            await kasal.crews.get("nope")


def test_ctrl_c_while_waiting_cancels_the_request() -> None:
    started = threading.Event()
    cancelled = threading.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return httpx.Response(200, json={})

    def interrupt_once_waiting() -> None:
        if started.wait(10):
            os.kill(os.getpid(), signal.SIGINT)

    kasal = Kasal("http://kasal.test", "t", transport=httpx.MockTransport(slow))
    threading.Thread(target=interrupt_once_waiting, daemon=True).start()
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        kasal.me()
    assert time.monotonic() - begun < 10
    assert cancelled.wait(5), "the request kept running after Ctrl-C"
    kasal.close()


def test_a_deferred_ctrl_c_comes_after_the_block() -> None:
    finished: list[bool] = []

    def interrupted_block() -> None:
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here: recorded, not raised
            finished.append(True)

    with pytest.raises(KeyboardInterrupt):
        interrupted_block()
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
