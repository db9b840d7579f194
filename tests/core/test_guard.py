"""Hostile input at the edge: NUL characters answer 422, oversized bodies 413, on both databases."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from kasal.crews.deps import MAX_IMPORT_REQUEST_BYTES
from tests.factories import make_actor

LIMIT = 4 * 1024 * 1024  # the default KASAL_MAX_BODY_BYTES
CHUNK = 64 * 1024


def assert_nul_refused(response: httpx.Response, loc: list[str]) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == [
        {"loc": loc, "message": "NUL characters are not allowed", "type": "nul_character"}
    ]


async def test_nul_in_the_unauthenticated_login_is_422(client: httpx.AsyncClient) -> None:
    escaped = b'{"username": "admin\\u0000@kasal.local", "password": "x"}'
    for content_type in ("application/json", "text/plain", ""):
        response = await client.post(
            "/api/v1/auth/login", content=escaped, headers={"content-type": content_type}
        )
        assert_nul_refused(response, ["body"])
    raw = await client.post(
        "/api/v1/auth/login", content=b'{"username": "a\x00b", "password": "x"}'
    )
    assert_nul_refused(raw, ["body"])


async def test_json_that_is_not_utf8_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    """FastAPI's own answer would be a bare 400 that no operation documents."""
    actor = await make_actor(app, client)
    for path in ("/api/v1/auth/login", "/api/v1/agents"):
        response = await client.post(
            path,
            content=b'{"name": "\xff"}',
            headers={**actor.headers, "content-type": "application/json"},
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"] == [
            {"loc": ["body"], "message": "JSON must be UTF-8", "type": "invalid_utf8"}
        ]


async def test_nul_in_form_fields_is_422(client: httpx.AsyncClient) -> None:
    form = await client.post(
        "/api/v1/auth/login", data={"username": "a\x00b@example.com", "password": "x"}
    )
    assert_nul_refused(form, ["body"])
    multipart = await client.post(
        "/api/v1/auth/login",
        files={"username": (None, "a\x00b@example.com"), "password": (None, "x")},
    )
    assert_nul_refused(multipart, ["body"])


async def test_nul_in_query_path_and_headers_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    query = await client.get("/api/v1/crews?cursor=ab%00cd", headers=actor.headers)
    assert_nul_refused(query, ["query"])
    path = await client.get("/api/v1/crews/a%00b", headers=actor.headers)
    assert_nul_refused(path, ["path"])
    header = await client.get(
        "/api/v1/groups/current", headers={**actor.headers, "X-Kasal-Group": "a\x00b"}
    )
    assert_nul_refused(header, ["header", "x-kasal-group"])


async def test_nul_in_a_stored_field_is_422_and_the_escaped_text_is_kept(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    nul = await client.post("/api/v1/groups", json={"name": "Te\x00am"}, headers=actor.headers)
    assert_nul_refused(nul, ["body"])
    # `\\u0000` in JSON is a backslash and the text "u0000": no NUL, stored as written.
    text = await client.post(
        "/api/v1/groups",
        content=json.dumps({"name": "Team \\u0000"}).encode(),
        headers={**actor.headers, "content-type": "application/json"},
    )
    assert text.status_code == 201, text.text
    assert text.json()["name"] == "Team \\u0000"
    odd = await client.post(
        "/api/v1/groups",
        content=b'{"name": "Team \\\\\\u0000"}',  # an escaped backslash, then a NUL escape
        headers={**actor.headers, "content-type": "application/json"},
    )
    assert_nul_refused(odd, ["body"])


async def test_binary_uploads_may_hold_nul_bytes(app: FastAPI, client: httpx.AsyncClient) -> None:
    actor = await make_actor(app, client)
    response = await client.post(
        "/api/v1/crews/import",
        content=b"PK\x03\x04\x00\x00not really a zip",
        headers={**actor.headers, "content-type": "application/zip"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "import_invalid"  # the importer's verdict


class Upload:
    """Drives the ASGI app directly, counting what it pulls of a body that never ends."""

    def __init__(self, declared: int | None) -> None:
        self.declared = declared
        self.pulled = 0
        self.sent: list[Message] = []

    async def post(self, app: FastAPI, path: str) -> dict[str, Any]:
        headers = [(b"content-type", b"application/json")]
        if self.declared is not None:
            headers.append((b"content-length", str(self.declared).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("test", 80),
        }
        await app(scope, self.receive, self.send)
        start = self.sent[0]
        body = b"".join(m.get("body", b"") for m in self.sent[1:])
        return {"status": start["status"], "json": json.loads(body)}

    async def receive(self) -> Message:
        self.pulled += CHUNK
        return {"type": "http.request", "body": b" " * CHUNK, "more_body": True}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def assert_too_large(answer: dict[str, Any], limit: int) -> None:
    assert answer["status"] == 413
    assert answer["json"]["error"]["code"] == "body_too_large"
    assert str(limit) in answer["json"]["error"]["message"]


async def test_a_declared_oversized_body_is_refused_unread(app: FastAPI) -> None:
    upload = Upload(declared=200 * 1024 * 1024)
    assert_too_large(await upload.post(app, "/api/v1/auth/login"), LIMIT)
    assert upload.pulled == 0


async def test_a_streamed_body_is_refused_once_it_outgrows_the_limit(app: FastAPI) -> None:
    upload = Upload(declared=None)
    assert_too_large(await upload.post(app, "/api/v1/auth/login"), LIMIT)
    assert LIMIT < upload.pulled <= LIMIT + CHUNK


@pytest.mark.parametrize("declared", [None, MAX_IMPORT_REQUEST_BYTES + 1])
async def test_crew_import_has_its_own_larger_limit(app: FastAPI, declared: int | None) -> None:
    upload = Upload(declared=declared)
    assert_too_large(await upload.post(app, "/api/v1/crews/import"), MAX_IMPORT_REQUEST_BYTES)
    assert upload.pulled <= MAX_IMPORT_REQUEST_BYTES + CHUNK


async def test_a_body_over_the_edge_limit_reaches_the_import_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    actor = await make_actor(app, client)
    body = b"name: big\n" + b"#" * (LIMIT + CHUNK) + b"\n"
    response = await client.post(
        "/api/v1/crews/import",
        content=body,
        headers={**actor.headers, "content-type": "application/yaml"},
    )
    assert response.status_code == 422, response.text  # the importer read it, and judged it
    assert response.json()["error"]["code"] == "import_invalid"
    elsewhere = await client.post("/api/v1/groups", content=body, headers=actor.headers)
    assert elsewhere.status_code == 413
