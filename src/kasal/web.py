"""Serves the built web app: hashed assets cached for a year, every other path gets index.html.

The build writes a Brotli (`.br`) and a gzip (`.gz`) copy beside each compressible asset
(`frontend/vite.config.ts`); an asset is answered with the smallest copy the client accepts,
compressed once at build time rather than on every request.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from kasal.core.errors import NotFound

_NOT_SPA = ("api/", "ws", "health", "info")
# Best first: what the build writes, and the Content-Encoding each copy is served with.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def _accepted(scope: Scope) -> set[str]:
    header = Headers(scope=scope).get("accept-encoding", "")
    return {part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()}


class _ImmutableAssets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        accepted = _accepted(scope)
        response: Response | None = None
        for encoding, suffix in ENCODINGS:
            if encoding in accepted and self.lookup_path(path + suffix)[1] is not None:
                response = await super().get_response(path + suffix, scope)
                if response.status_code in (200, 304):
                    response.headers["Content-Encoding"] = encoding
                    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    response.headers["Content-Type"] = kind
                    break
                response = None
        if response is None:
            response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["Vary"] = "Accept-Encoding"
        return response


def mount_web_app(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", _ImmutableAssets(directory=dist / "assets"), name="assets")

    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:  # sync: file checks run in the thread pool
        if path.startswith(_NOT_SPA):
            raise NotFound("not_found", "Not Found")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
