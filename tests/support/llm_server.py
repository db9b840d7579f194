"""A scripted, OpenAI-compatible LLM served over real HTTP.

Tests run real crews against it: crewai's native OpenAI client and litellm talk
to it exactly as they would to a provider, and worker subprocesses reach it by
URL. Each test scripts the answers it needs and asserts on the requests received.

Reply selection, per chat call: the scripted queue first, then the responder
(for concurrent runs, where queue order would be a race), then a deterministic
default answer. Delays are awaited per request, so a slow call never blocks
other requests; `reset()` and `stop()` cut pending delays short so a cancelled
test leaves no request hanging.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

EMBEDDING_DIMENSIONS = 16
MODELS = ("gpt-4o-mini", "scripted-model", "text-embedding-3-small")


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass(frozen=True)
class Reply:
    """One scripted answer: text, tool calls, or an HTTP error."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200
    error: str | None = None
    delay: float | None = None  # seconds; None means the server-wide delay
    chunk_delay: float = 0.0  # seconds between the chunks of a streamed answer


def text(content: str, *, delay: float | None = None, chunk_delay: float = 0.0) -> Reply:
    """A text answer; with `chunk_delay`, a streamed one arrives piece by piece, slowly."""
    return Reply(content=content, delay=delay, chunk_delay=chunk_delay)


def tool_call(name: str, arguments: dict[str, Any] | str | None = None, **kw: Any) -> Reply:
    """A reply asking for one tool call (`kw`: `call_id`, `delay`)."""
    call = ToolCall(name, arguments if arguments is not None else {}, kw.get("call_id"))
    return Reply(tool_calls=(call,), delay=kw.get("delay"))


def error(status: int, message: str | None = None) -> Reply:
    return Reply(status=status, error=message or f"Scripted error {status}")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools") or []]

    @property
    def prompt(self) -> str:
        """Every message's text, joined: handy for `"marker" in request.prompt`."""
        return "\n".join(_content_text(m.get("content")) for m in self.messages)


Responder = Callable[[RecordedRequest], Reply | str | None]


def _content_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def _embedding(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] + i) % 256 / 255.0 - 0.5 for i in range(dimensions)]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]


class ScriptedLLMServer:
    """The server. `start()` once per session; `reset()` before each test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._generation = 0
        self._calls = itertools.count(1)
        self.responder: Responder | None = None
        self.delay = 0.0
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- scripting (called from the test thread) -------------------------------------------

    def script(self, *replies: Reply | str) -> None:
        with self._lock:
            self._queue.extend(text(r) if isinstance(r, str) else r for r in replies)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._generation += 1
            self._calls = itertools.count(1)
        self.responder = None
        self.delay = 0.0

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    async def wait_for_chat_requests(self, count: int) -> None:
        """Wait (in the test's event loop, at most 10 s) until `count` chat calls arrived."""
        for _ in range(1000):
            if len(self.chat_requests) >= count:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError(f"Expected {count} chat requests, got {len(self.chat_requests)}")

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # log_config and log_level None: uvicorn's loggers are process-wide, and its defaults
        # would stop them propagating (and quieten them) for Kasal's own server in this process.
        config = uvicorn.Config(self._app(), log_config=None, log_level=None, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("The scripted LLM server did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def stop(self) -> None:
        self.reset()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    # -- HTTP -------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    async def _record(self, request: Request) -> tuple[RecordedRequest, int]:
        body = await request.json() if await request.body() else {}
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        with self._lock:
            self._requests.append(recorded)
            return recorded, self._generation

    def _choose(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            call_number = next(self._calls)
        if self.responder is not None:
            chosen = self.responder(request)
            if chosen is not None:
                return text(chosen) if isinstance(chosen, str) else chosen
        return text(f"Scripted answer {call_number}.")

    async def _aborted_after(self, seconds: float, generation: int) -> bool:
        """Sleep, polling for a reset: True when the test that sent the request is over."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._generation != generation:
                return True
            await asyncio.sleep(min(left, 0.02))
        return self._generation != generation

    async def _chat(self, request: Request) -> Response:
        recorded, generation = await self._record(request)
        reply = self._choose(recorded)
        delay = self.delay if reply.delay is None else reply.delay
        if delay and await self._aborted_after(delay, generation):
            # 400 rather than 5xx: clients retry 5xx, and a retry would eat the next test's script.
            return _error_response(400, "The scripted LLM server was reset during this call")
        if reply.status >= 400:
            return _error_response(reply.status, reply.error or "error")
        model = recorded.body.get("model", "scripted-model")
        prompt_tokens = _tokens(recorded.prompt)
        completion_tokens = _tokens(
            (reply.content or "") + "".join(c.arguments_json() for c in reply.tool_calls)
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        calls = [
            {
                "id": c.id or f"call_{generation}_{i}_{c.name}",
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_json()},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
        if recorded.body.get("stream"):
            include_usage = bool((recorded.body.get("stream_options") or {}).get("include_usage"))
            chunks = _stream_chunks(model, reply.content, calls, usage if include_usage else None)
            return StreamingResponse(
                _sse(chunks, reply.chunk_delay), media_type="text/event-stream"
            )
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if calls:
            message["tool_calls"] = calls
        return JSONResponse(
            {
                "id": f"chatcmpl-{generation}-{len(self._requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": usage,
            }
        )

    async def _embeddings(self, request: Request) -> Response:
        recorded, _ = await self._record(request)
        inputs = recorded.body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else [str(i) for i in inputs]
        dimensions = int(recorded.body.get("dimensions") or EMBEDDING_DIMENSIONS)
        as_base64 = recorded.body.get("encoding_format") == "base64"
        data = []
        for index, item in enumerate(texts):
            vector = _embedding(item, dimensions)
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(_tokens(t) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": recorded.body.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "owned_by": "kasal-tests"} for m in MODELS],
            }
        )


def _error_response(status: int, message: str) -> JSONResponse:
    kind = {401: "invalid_request_error", 429: "rate_limit_error"}.get(status, "api_error")
    code = {401: "invalid_api_key", 404: "model_not_found"}.get(status)
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status_code=status,
    )


def _stream_chunks(
    model: str,
    content: str | None,
    calls: list[dict[str, Any]],
    usage: dict[str, int] | None,
) -> Iterable[dict[str, Any]]:
    """Chunks as OpenAI sends them: role, content pieces, tool-call deltas, finish, usage."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-stream",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    words = (content or "").split(" ")
    for i in range(0, len(words) if content else 0, 3):
        piece = " ".join(words[i : i + 3])
        yield chunk({"content": piece if i == 0 else " " + piece})
    for index, call in enumerate(calls):
        head = {"index": index, "id": call["id"], "type": "function"}
        yield chunk({"tool_calls": [head | {"function": {"name": call["function"]["name"]}}]})
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        for part in (arguments[:half], arguments[half:]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
    yield chunk({}, "tool_calls" if calls else "stop")
    if usage is not None:
        tail = chunk({})
        tail["choices"] = []
        tail["usage"] = usage
        yield tail


async def _sse(chunks: Iterable[dict[str, Any]], chunk_delay: float) -> AsyncIterator[bytes]:
    for index, item in enumerate(chunks):
        if index and chunk_delay:
            await asyncio.sleep(chunk_delay)
        yield f"data: {json.dumps(item)}\n\n".encode()
    yield b"data: [DONE]\n\n"
