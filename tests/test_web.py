"""The built web app: hashed assets answered pre-compressed, cached for a year."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kasal.app import create_app
from kasal.core.config import Settings
from tests.support.app import make_settings

SOURCE = b"export const answer = 42;\n" * 100
BROTLI = b"pretend-brotli-bytes"  # served as they are: the server never decodes them
GZIPPED = gzip.compress(SOURCE, mtime=0)


@pytest.fixture
async def web(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    assets = tmp_path / "dist" / "assets"
    assets.mkdir(parents=True)
    (assets.parent / "index.html").write_text("<!doctype html><div id=root></div>")
    (assets / "app-1234.js").write_bytes(SOURCE)
    (assets / "app-1234.js.br").write_bytes(BROTLI)
    (assets / "app-1234.js.gz").write_bytes(GZIPPED)
    (assets / "logo-99.png").write_bytes(b"\x89PNG not compressible")
    app = create_app(make_settings(settings.db_url, tmp_path, frontend_dir=assets.parent))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def _raw(client: httpx.AsyncClient, path: str, accept: str) -> tuple[httpx.Response, bytes]:
    async with client.stream("GET", path, headers={"Accept-Encoding": accept}) as response:
        return response, b"".join([chunk async for chunk in response.aiter_raw()])


@pytest.mark.parametrize(
    ("accept", "encoding", "body"),
    [
        ("gzip, deflate, br, zstd", "br", BROTLI),
        ("gzip;q=1.0, deflate", "gzip", GZIPPED),
        ("identity", None, SOURCE),
    ],
)
async def test_an_asset_is_answered_with_the_best_copy_the_client_accepts(
    web: httpx.AsyncClient, accept: str, encoding: str | None, body: bytes
) -> None:
    response, raw = await _raw(web, "/assets/app-1234.js", accept)

    assert response.status_code == 200
    assert response.headers.get("content-encoding") == encoding
    assert raw == body
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["vary"] == "Accept-Encoding"


async def test_an_asset_without_compressed_copies_is_answered_as_it_is(
    web: httpx.AsyncClient,
) -> None:
    response, raw = await _raw(web, "/assets/logo-99.png", "gzip, br")

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert raw == b"\x89PNG not compressible"
    assert response.headers["content-type"] == "image/png"


async def test_pages_are_revalidated_and_missing_assets_are_404(web: httpx.AsyncClient) -> None:
    page = await web.get("/crews/123")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert (
        await web.get("/assets/gone-1.js", headers={"Accept-Encoding": "br"})
    ).status_code == 404
