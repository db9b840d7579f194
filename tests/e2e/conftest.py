"""Browser tests: Debian's Chromium, driven by Playwright, against a real Kasal server that
serves the built web app (frontend/dist), with a real worker process and the scripted LLM.

Playwright's async API runs on the session's event loop. (Its sync API marks the main thread's
loop as running for as long as it lives, which breaks every async test that comes after.)
Every test signs in as a new user, so each works in a personal group of its own and no
database reset is needed between them. The server and the browser live for this package only.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from playwright.async_api import Browser, Error, ViewportSize, async_playwright

from kasal.core.migrate import PROJECT_ROOT
from tests.e2e.support import UI, Account
from tests.factories import PASSWORD, Actor, make_user
from tests.support.database import throwaway_database
from tests.support.server import LiveServer, live_settings

FRONTEND_DIST = PROJECT_ROOT / "frontend" / "dist"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed (Debian: apt-get install chromium)")
    return found


@pytest.fixture(scope="package")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server on a SQLite database of its own, serving the built web app at `/`."""
    if not (FRONTEND_DIST / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web` (npm ci && npm run build)")
    data_dir = tmp_path_factory.mktemp("e2e")
    with throwaway_database("sqlite", data_dir) as db_url:
        settings = live_settings(db_url, data_dir, frontend_dir=FRONTEND_DIST)
        with LiveServer(settings) as server:
            yield server


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def ui(
    browser: Browser, web: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[UI]:
    """A fresh tab (no cookies, no storage) 1280 px wide. The test fails if the page logged
    an error or threw one, whatever it was doing at the time."""
    context = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        tab = UI(page=page, base_url=web.url, name=request.node.name)

        def on_page_error(error: Error) -> None:
            tab.errors.append(f"pageerror: {error}")

        page.on("console", tab.console_error)
        page.on("pageerror", on_page_error)
        yield tab
        assert not tab.errors, "the browser reported errors:\n" + "\n".join(tab.errors)
    finally:
        await context.close()


@pytest.fixture
async def account(web: LiveServer) -> Account:
    """A new user (made by the factory, on the server's own loop) and a token for the API."""
    user = web.call(make_user(web.app))
    async with httpx.AsyncClient(base_url=web.url) as http:
        body = {"username": user.email, "password": PASSWORD}
        response = await http.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return Account(user.email, PASSWORD, Actor(user, {"Authorization": f"Bearer {token}"}))


@pytest.fixture
async def api(web: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=web.url, timeout=30) as http:
        yield http
