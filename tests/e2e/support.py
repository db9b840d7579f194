"""What the browser tests share: a browser tab that keeps what its console reported, a signed-up
account, signing in through the form, a scripted model, and the event log as the API has it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import ConsoleMessage, Page, expect

from tests.factories import Actor
from tests.support.llm_server import ScriptedLLMServer

ARTIFACTS = Path(__file__).parent / "artifacts"
MODEL_LABEL = "Scripted test model"

# Chromium logs every failed request as a console error. The one every test expects: opening
# the app signed out, it tries to restore a session and has no refresh cookie (401).
_REFRESH_WITHOUT_COOKIE = re.compile(r"/api/v1/auth/refresh$")
_TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}


@dataclass
class UI:
    """One browser tab on the web app, and the errors its console reported."""

    page: Page
    base_url: str
    name: str
    errors: list[str] = field(default_factory=list)
    expected_failures: list[re.Pattern[str]] = field(
        default_factory=lambda: [_REFRESH_WITHOUT_COOKIE]
    )

    def expect_failed_request(self, url_pattern: str) -> None:
        """A request the test makes fail on purpose: its console line is not an error."""
        self.expected_failures.append(re.compile(url_pattern))

    def console_error(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "") if message.location else ""
        failed_request = message.text.startswith("Failed to load resource")
        if failed_request and any(p.search(url) for p in self.expected_failures):
            return
        self.errors.append(f"console: {message.text} ({url})")

    async def goto(self, path: str) -> None:
        await self.page.goto(self.base_url + path)

    async def shot(self, label: str) -> Path:
        """A screenshot in tests/e2e/artifacts, transitions finished (not caught half-way)."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}--{label}.png"
        await self.page.screenshot(path=str(path), animations="disabled")
        return path


@dataclass
class Account:
    """A user who can sign in with the form, and API access as them for set-up and checks."""

    email: str
    password: str
    actor: Actor


async def sign_in(ui: UI, account: Account) -> None:
    await ui.goto("/")
    await expect(ui.page.get_by_role("heading", name="Sign in to Kasal")).to_be_visible()
    await ui.page.get_by_label("Email").fill(account.email)
    await ui.page.get_by_label("Password").fill(account.password)
    await ui.page.get_by_role("button", name="Sign in").click()
    await expect(ui.page.get_by_role("heading", name="Crews")).to_be_visible()


async def scripted_model(api: httpx.AsyncClient, account: Account, llm: ScriptedLLMServer) -> str:
    """The group's model "scripted" (labelled MODEL_LABEL in pickers), on the scripted LLM."""
    body = {
        "key": "scripted",
        "label": MODEL_LABEL,
        "provider": "openai",
        "model": "gpt-4o-mini",
        "base_url": llm.base_url,
    }
    headers = account.actor.headers
    response = await api.post("/api/v1/models", json=body, headers=headers)
    assert response.status_code == 201, response.text
    key = {"name": "openai", "provider": "openai", "value": "sk-test-key"}
    response = await api.post("/api/v1/api-keys", json=key, headers=headers)
    assert response.status_code == 201, response.text
    return "scripted"


async def all_events(
    api: httpx.AsyncClient, account: Account, execution_id: str
) -> list[dict[str, Any]]:
    """Every stored event of the execution, page after page."""
    events: list[dict[str, Any]] = []
    while True:
        response = await api.get(
            f"/api/v1/executions/{execution_id}/events",
            params={"after": events[-1]["seq"] if events else 0},
            headers=account.actor.headers,
        )
        assert response.status_code == 200, response.text
        page: list[dict[str, Any]] = response.json()["items"]
        if not page:
            return events
        events += page


def log_seqs(events: list[dict[str, Any]]) -> list[int]:
    """The seq of each line the event log shows for these events: one line per event, except
    that an LLM answer streamed in chunks is one line (carrying its latest seq)."""
    lines: list[int] = []
    open_streams: dict[str, int] = {}
    for event in events:
        key = f"{event.get('agent_key') or ''}|{event.get('task_key') or ''}"
        kind = event["type"]
        if kind == "llm.chunk":
            if key in open_streams:
                lines[open_streams[key]] = event["seq"]
            else:
                open_streams[key] = len(lines)
                lines.append(event["seq"])
            continue
        if kind in ("llm.completed", "llm.failed"):
            open_streams.pop(key, None)
        if kind.startswith("execution.") and kind.split(".")[1] in _TERMINAL:
            open_streams.clear()
        lines.append(event["seq"])
    return lines
