"""A tiny real HTTP API with its OpenAPI 3 document, recording every request it receives.

It serves its document at `/openapi.json` and `/openapi.yaml` (whose one server is the
relative `/v1`, so a source registered by URL must resolve it against the document's URL),
and under `/v1`: `GET /pets` (query `limit`, `tag`), `GET /pets/{petId}` (404 for id 404),
`POST /pets` (JSON body, echoed). Tests assert on what reached it: headers, query, body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Pet store", "version": "1.2.0"},
    "servers": [{"url": "/v1"}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List the pets",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"$ref": "#/components/parameters/Tag"},
                ],
            },
            "post": {
                "operationId": "createPet",
                "summary": "Add a pet",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                    },
                },
            },
        },
        "/pets/{petId}": {
            "parameters": [
                {
                    "name": "petId",
                    "in": "path",
                    "required": True,
                    "description": "The pet's id",
                    "schema": {"type": "integer"},
                }
            ],
            "get": {
                "operationId": "getPet",
                "summary": "One pet by id",
                "parameters": [
                    {"name": "X-Trace-Id", "in": "header", "schema": {"type": "string"}}
                ],
            },
        },
    },
    "components": {
        "parameters": {
            "Tag": {"name": "tag", "in": "query", "schema": {"type": "string"}},
        },
        "schemas": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
            }
        },
    },
}
OPERATIONS = ("listPets", "createPet", "getPet")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: Any


@dataclass
class PetApi:
    url: str
    received: list[Received] = field(default_factory=list)

    @property
    def calls(self) -> list[Received]:
        """What reached the API itself, not its document."""
        return [r for r in self.received if r.path.startswith("/v1/")]


def _handler(api: PetApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            api.received.append(
                Received(
                    self.command,
                    url.path,
                    dict(parse_qsl(url.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
            )
            self._route(url.path, body)

        def _route(self, path: str, body: Any) -> None:
            if path == "/openapi.json":
                self._send(200, json.dumps(DOCUMENT).encode())
            elif path == "/openapi.yaml":
                self._send(200, yaml.safe_dump(DOCUMENT).encode(), "application/yaml")
            elif path == "/v1/pets" and self.command == "POST":
                self._send(201, json.dumps({"id": 7, **body}).encode())
            elif path == "/v1/pets":
                self._send(200, json.dumps([{"id": 1, "name": "Rex"}]).encode())
            elif path == "/v1/pets/404":
                self._send(404, b'{"error": "no pet with id 404"}')
            elif path.startswith("/v1/pets/"):
                pet_id = path.rsplit("/", 1)[1]
                self._send(200, json.dumps({"id": int(pet_id), "name": "Rex"}).encode())
            else:
                self._send(404, b'{"error": "not found"}')

        def _send(self, status: int, data: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output quiet."""

    return Handler


@contextmanager
def pet_api() -> Iterator[PetApi]:
    """The API on a free loopback port, for the duration of the block."""
    api = PetApi("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
