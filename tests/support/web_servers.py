"""Local stand-ins for the web a tool reaches: search providers and a small HTML site.

Real HTTP servers on loopback ports. The search server answers each provider's API at its
own path in that provider's real response shape, accepts only the key it is given, and
records every request (headers, query, body) so that a test can check what was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESULTS = [
    ("Tides explained", "https://example.org/tides", "Tides are caused by the Moon's gravity."),
    ("Spring and neap tides", "https://example.org/spring", "Twice a month tides are highest."),
    ("Tide tables", "https://example.org/tables", "When the water is high and low."),
]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# A route answers (status, content type, body, extra headers).
Answer = tuple[int, str, bytes, dict[str, str]]
Route = Callable[[Recorded], Answer]


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 that routes by path and records requests.

    `fallback` answers the paths no route names (a server whose paths hold ids)."""

    def __init__(self, routes: dict[str, Route], fallback: Route | None = None) -> None:
        self.routes = routes
        self.fallback = fallback
        self.requests: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def do_PUT(self) -> None:
                self._answer()

            def _answer(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(
                    self.command,
                    url.path,
                    parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                server.requests.append(recorded)
                route = server.routes.get(url.path, server.fallback)
                status, kind, body, headers = (
                    route(recorded) if route else (404, "text/plain", b"not found", {})
                )
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> None:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@contextmanager
def serving(routes: dict[str, Route]) -> Iterator[LocalServer]:
    server = LocalServer(routes)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _json(status: int, body: Any) -> Answer:
    return status, "application/json", json.dumps(body).encode(), {}


def _serper(key: str) -> Route:
    def answer(request: Recorded) -> Answer:
        if request.headers.get("x-api-key") != key:
            return _json(403, {"message": "Unauthorized.", "statusCode": 403})
        query = request.json()["q"]
        organic = [
            {"title": t, "link": u, "snippet": s, "position": n}
            for n, (t, u, s) in enumerate(RESULTS, 1)
        ]
        return _json(200, {"searchParameters": {"q": query, "type": "search"}, "organic": organic})

    return answer


def _tavily(key: str) -> Route:
    def answer(request: Recorded) -> Answer:
        if request.headers.get("authorization") != f"Bearer {key}":
            return _json(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
        results = [
            {"title": t, "url": u, "content": s, "score": 0.9, "raw_content": None}
            for t, u, s in RESULTS
        ]
        body = request.json()
        return _json(200, {"query": body["query"], "results": results, "response_time": 0.4})

    return answer


def _brave(key: str) -> Route:
    def answer(request: Recorded) -> Answer:
        if request.headers.get("x-subscription-token") != key:
            error = {"code": "SUBSCRIPTION_TOKEN_INVALID", "status": 422, "detail": "Invalid."}
            return _json(422, {"type": "ErrorResponse", "error": error})
        results = [
            {"title": t, "url": u, "description": s, "language": "en"} for t, u, s in RESULTS
        ]
        return _json(200, {"type": "search", "web": {"type": "search", "results": results}})

    return answer


def _searxng(request: Recorded) -> Answer:
    if request.query.get("format") != ["json"]:
        return 403, "text/html", b"<html>Forbidden</html>", {}
    results = [
        {"url": u, "title": t, "content": s, "engine": "duckduckgo", "score": 1.0}
        for t, u, s in RESULTS
    ]
    return _json(200, {"query": request.query["q"][0], "results": results, "answers": []})


# Where each provider's API is on the search server.
SEARCH_PATHS = {
    "serper": "/serper/search",
    "tavily": "/tavily/search",
    "brave": "/brave/res/v1/web/search",
}


@contextmanager
def search_providers(key: str) -> Iterator[LocalServer]:
    """Serper, Tavily and Brave (each accepting only `key`) and SearXNG (at `/searxng`)."""
    routes: dict[str, Route] = {
        SEARCH_PATHS["serper"]: _serper(key),
        SEARCH_PATHS["tavily"]: _tavily(key),
        SEARCH_PATHS["brave"]: _brave(key),
        "/searxng/search": _searxng,
        "/broken/search": lambda _: (200, "text/html", b"<html>maintenance</html>", {}),
    }
    with serving(routes) as server:
        yield server


def search_endpoints(server: LocalServer) -> dict[str, str]:
    return {provider: server.url + path for provider, path in SEARCH_PATHS.items()}


ARTICLE = """<!doctype html>
<html><head><title>All about tides</title></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About us</a> | <a href="/shop">Shop</a></nav>
<main><article>
<h1>Tides</h1>
<p>Tides are the rise and fall of the sea, caused mostly by the gravity of the Moon and, to a
lesser degree, of the Sun, acting on the rotating Earth.</p>
<p>Most coasts see two high tides and two low tides a day. Their height depends on the phase
of the Moon: <b>spring tides</b> come at full and new moon, neap tides in between.</p>
</article></main>
<footer>Copyright 2026 Sea Facts Ltd. All rights reserved. Cookie settings. Privacy.</footer>
</body></html>"""


def _html(body: str) -> Answer:
    return 200, "text/html; charset=utf-8", body.encode(), {}


def _redirect(to: str) -> Route:
    return lambda _: (301, "text/html", b"", {"Location": to})


@contextmanager
def html_site() -> Iterator[LocalServer]:
    """/article, /moved (→ /article), /long (a long article), /notes.txt, /logo.png, /gone."""
    long_article = ARTICLE.replace(
        "</article>",
        "".join(f"<p>Paragraph {n} about the sea. " * 20 + "</p>" for n in range(300))
        + "</article>",
    )
    routes: dict[str, Route] = {
        "/article": lambda _: _html(ARTICLE),
        "/moved": _redirect("/article"),
        "/long": lambda _: _html(long_article),
        "/notes.txt": lambda _: (200, "text/plain", b"Plain notes about tides.", {}),
        "/logo.png": lambda _: (200, "image/png", b"\x89PNG\r\n\x1a\n", {}),
        "/gone": lambda _: (410, "text/html", b"<html>gone</html>", {}),
    }
    with serving(routes) as server:
        yield server
