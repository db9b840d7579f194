"""The HTTP edge: request ids, security headers, body limits, NUL refusal, one error shape.

Every middleware here is pure ASGI (no BaseHTTPMiddleware), so streaming responses and
WebSockets pass through untouched.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasal.core.errors import KasalError, RateLimited, error_body
from kasal.core.logging import request_id_var

log = logging.getLogger(__name__)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_HTTP_CODES = {
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
}
# RFC 6750: a 401 names the scheme that would have worked.
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class RequestIdMiddleware:
    """Binds the request id, and answers what nothing else caught with a 500 in the error shape.

    The catch-all lives here, not in an `Exception` handler: Starlette runs that handler in
    ServerErrorMiddleware, outside every user middleware, where the id is already unbound and
    the response would leave without its `X-Request-ID`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request %s)",
                scope.get("method", "WEBSOCKET"),
                scope["path"],
                request_id,
            )
            if started or scope["type"] != "http":
                raise  # too late for an answer: let the server drop the connection
            message = f"Something went wrong on our side (request {request_id})"
            response = JSONResponse(error_body("internal_error", message), status_code=500)
            await response(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class SecurityHeadersMiddleware:
    """The same protective headers on every response: API, web app, errors, docs.

    The web app is one bundle served from this origin: scripts only from it; styles also
    inline (MUI/emotion inject `<style>` tags, React Flow sets `style=`); images also as
    `data:` URLs; fetches and the event WebSocket to this origin. Swagger UI at the docs path
    boots from an inline script, so that one page also allows inline scripts; its files are
    served from here (see `kasal.app`), never from a CDN.
    """

    def __init__(self, app: ASGIApp, docs_path: str) -> None:
        self.app = app
        self._docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _security_headers(scope, docs=scope["path"].startswith(self._docs_path))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in headers if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SAFE_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def _security_headers(scope: Scope, *, docs: bool) -> list[tuple[bytes, bytes]]:
    host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
    # 'self' covers ws:/wss: of this origin only in CSP 3 browsers; name them for the rest.
    sockets = f" ws://{host} wss://{host}" if _SAFE_HOST.match(host) else ""
    scripts = "'self' 'unsafe-inline'" if docs else "'self'"
    policy = (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; font-src 'self' data:; connect-src 'self'{sockets}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]


class RequestGuardMiddleware:
    """Refuses oversized bodies (413) and NUL characters (422) before any route sees them.

    Why here: this is the one layer every request crosses whole (body, form, query, path,
    headers, on every route, present and future), and the only one that can stop a body
    before it is in memory. A NUL is harmless on SQLite but PostgreSQL refuses it in text and
    JSON (a 500), so it must never reach a query; schema validators would need every field of
    every schema to opt in, and would miss headers and hand-read bodies such as the login.

    The body is read here, up to the route's limit (a `Content-Length` over it is refused
    without reading a byte; a chunked body once it grows past it), checked, then replayed to
    the app. Binary media (zip, octet-stream, files in multipart forms) may hold NUL bytes.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, route_limits: Mapping[str, int] | None = None
    ) -> None:
        """`route_limits`: path templates as routes write them (`/knowledge/{base_id}/files`)
        → the largest body of a request to such a path."""
        self.app = app
        self._max_bytes = max_bytes
        self._route_limits = [
            (compile_path(path)[0], limit) for path, limit in (route_limits or {}).items()
        ]

    def _limit(self, path: str) -> int:
        return next(
            (limit for pattern, limit in self._route_limits if pattern.match(path)),
            self._max_bytes,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        declared = dict(headers).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        where = _nul_outside_body(scope)
        if where is not None:
            await _nul_found(scope, receive, send, where)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left before sending its whole body: nobody to answer
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        content_type = dict(headers).get(b"content-type", b"")
        if _body_has_nul(content_type, bytes(body)):
            await _nul_found(scope, receive, send, ["body"])
            return
        if _json_not_utf8(content_type, bytes(body)):
            await _invalid(scope, receive, send, ["body"], "JSON must be UTF-8", "invalid_utf8")
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()  # after the body: the client's disconnect, when it comes
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


_NUL = b"\x00"
_NUL_ESCAPE = b"\\u0000"
_ESCAPED_BACKSLASH = b"\\\\"
_BINARY_MEDIA = (b"application/zip", b"application/octet-stream", b"image/", b"audio/", b"video/")
_BOUNDARY = re.compile(rb'boundary="?([^";]+)"?', re.IGNORECASE)


def _nul_outside_body(scope: Scope) -> list[str] | None:
    if "\x00" in scope["path"]:
        return ["path"]
    query: bytes = scope["query_string"]
    if _NUL in unquote_to_bytes(query.replace(b"+", b" ")):
        return ["query"]
    for name, value in scope["headers"]:
        if _NUL in name or _NUL in value:
            return ["header", name.decode("latin-1")]
    return None


def _body_has_nul(content_type: bytes, body: bytes) -> bool:
    media = content_type.split(b";")[0].strip().lower()
    if not body or media.startswith(_BINARY_MEDIA):
        return False
    if media == b"multipart/form-data":
        return _form_field_has_nul(content_type, body)
    if media == b"application/x-www-form-urlencoded":
        return _NUL in unquote_to_bytes(body.replace(b"+", b" "))
    # Anything else may be read as JSON (the login reads untyped bodies as JSON).
    return _NUL in body or _has_escaped_nul(body)


def _json_not_utf8(content_type: bytes, body: bytes) -> bool:
    """JSON is UTF-8 (RFC 8259). FastAPI answers other bytes with a bare 400 that no
    operation documents; here they get the 422 of any other malformed JSON."""
    media = content_type.split(b";")[0].strip().lower()
    if media != b"application/json" and not media.endswith(b"+json"):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _has_escaped_nul(body: bytes) -> bool:
    """A JSON `\\u0000` escape, unless its backslash is itself escaped (`\\\\u0000` is text).

    JSON reads backslashes in pairs from the left, as `bytes.replace` removes them: what is
    left before a `u0000` is its own escape. C-speed and linear even on a hostile body (a
    regex took half a second on 4 MiB; a Python loop over the hits as long).
    """
    if _NUL_ESCAPE not in body:
        return False
    return _NUL_ESCAPE in body.replace(_ESCAPED_BACKSLASH, b"")


def _form_field_has_nul(content_type: bytes, body: bytes) -> bool:
    """Text fields of a multipart form; uploaded files are data and may hold any byte."""
    boundary = _BOUNDARY.search(content_type)
    if boundary is None:
        return _NUL in body
    for part in body.split(b"--" + boundary.group(1)):
        part_headers, _, content = part.partition(b"\r\n\r\n")
        if _NUL in part_headers or (b"filename=" not in part_headers and _NUL in content):
            return True
    return False


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    message = f"The request body is larger than the limit of {limit} bytes"
    response = JSONResponse(error_body("body_too_large", message), status_code=413)
    await response(scope, receive, send)


async def _nul_found(scope: Scope, receive: Receive, send: Send, loc: list[str]) -> None:
    await _invalid(scope, receive, send, loc, "NUL characters are not allowed", "nul_character")


async def _invalid(
    scope: Scope, receive: Receive, send: Send, loc: list[str], message: str, kind: str
) -> None:
    detail = {"loc": loc, "message": message, "type": kind}
    body = error_body("validation_error", "The request is not valid", [detail])
    await JSONResponse(body, status_code=422)(scope, receive, send)


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", [])), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Known errors in the one shape; anything else is `RequestIdMiddleware`'s 500."""

    @app.exception_handler(KasalError)
    async def kasal_error(_: Request, exc: KasalError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else {}
        if exc.status_code == 401:
            headers.update(_CHALLENGE)
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = error_body(
            "validation_error", "The request is not valid", _validation_details(exc.errors())
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(ValidationError)
    async def model_invalid(_: Request, exc: ValidationError) -> JSONResponse:
        body = error_body(
            "validation_error", "The request is not valid", _validation_details(exc.errors())
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", _CHALLENGE["WWW-Authenticate"])
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )
