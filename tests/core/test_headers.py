"""Security headers on every answer, offline docs, and 500s that carry their request id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kasal.app import create_app
from kasal.core.config import Settings
from kasal.core.errors import ConfigError
from tests.support.app import make_settings

SPA_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws://test wss://test; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def assert_protected(response: httpx.Response, csp: str = SPA_CSP) -> None:
    assert response.headers["content-security-policy"] == csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.fixture
async def web_app(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app with a built web app and a route that fails, outside the shared test app."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    app = create_app(make_settings(settings.db_url, tmp_path, frontend_dir=dist))

    async def explode() -> None:
        raise RuntimeError("the disk caught fire")

    app.add_api_route("/api/v1/explode", explode, include_in_schema=False)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the web app's catch-all
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_api_spa_errors_and_assets_carry_the_security_headers(
    client: httpx.AsyncClient, web_app: httpx.AsyncClient
) -> None:
    assert_protected(await client.get("/health"))
    assert_protected(await client.get("/api/v1/nothing-here"))
    assert_protected(await client.post("/api/v1/auth/login", content=b"{not json"))
    assert_protected(await client.get("/api/v1/users/me"))
    for path in ("/", "/crews/123", "/assets/app-1234.js"):
        response = await web_app.get(path)
        assert response.status_code == 200
        assert_protected(response)


async def test_a_500_carries_its_request_id_into_the_answer_and_the_log(
    web_app: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await web_app.get("/api/v1/explode", headers={"X-Request-ID": "boom-42"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-42"
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side (request boom-42)",
            "details": [],
        }
    }
    assert_protected(response)
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "boom-42" in record.getMessage()
    assert record.exc_info is not None
    assert "the disk caught fire" in str(record.exc_info[1])
    generated = await web_app.get("/api/v1/explode")
    assert generated.headers["x-request-id"] in generated.json()["error"]["message"]


async def test_swagger_ui_is_served_from_here_under_its_own_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "/api/docs/static/swagger-ui-bundle.js" in page.text
    docs_csp = SPA_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
    assert_protected(page, docs_csp)
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        served = await client.get(f"/api/docs/static/{asset}")
        assert served.status_code == 200
        assert len(served.content) > 10_000


def test_cors_wildcard_is_refused_at_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASAL_CORS_ORIGINS", "https://app.example.com,*")
    with pytest.raises(ConfigError, match=r"KASAL_CORS_ORIGINS=\* is refused"):
        Settings()
    monkeypatch.setenv("KASAL_CORS_ORIGINS", "https://app.example.com")
    assert Settings().cors_origins == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("value", "expected"), [("off", None), ("", None), ("20/second", "20/second")]
)
def test_the_rate_limit_setting_is_parsed_at_load(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None
) -> None:
    monkeypatch.setenv("KASAL_RATE_LIMIT", value)
    assert Settings().rate_limit == expected


def test_a_malformed_rate_limit_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASAL_RATE_LIMIT", "plenty")
    with pytest.raises(ConfigError, match="KASAL_RATE_LIMIT"):
        Settings()
