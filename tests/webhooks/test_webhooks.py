"""Webhooks: received by a local HTTP server with a valid signature, retried after a 500,
disabled after failures in a row with the reason shown, refused for a loopback URL unless
the operator allows private addresses, the secret encrypted and shown once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from kasal.core import crypto
from kasal.core.config import Settings
from kasal.core.db import create_engine, create_sessionmaker, utcnow
from kasal.webhooks.delivery import deliver_due
from tests.factories import Actor, make_actor, make_crew, seed_database
from tests.support.web_servers import Answer, Recorded, serving

API = "/api/v1/webhooks"
SECRET = "a-shared-secret-of-the-receiver"
INPUTS = {"topic": "tides", "audience": "sailors"}


class Receiver:
    """Answers the statuses it is given in turn (the last one from then on)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    def __call__(self, request: Recorded) -> Answer:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return status, "text/plain", b"thanks", {}


@pytest.fixture
def private_allowed(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The operator allows private addresses (the receiver is on loopback)."""
    monkeypatch.setattr(app.state.settings, "tools_http_allow_private", True)
    return app.state.settings


def _sender_settings(app: FastAPI, **changes: Any) -> Settings:
    values = {"tools_http_allow_private": True, "webhook_retry_base_s": 30, **changes}
    settings: Settings = app.state.settings.model_copy(update=values)
    return settings


async def _webhook(
    client: httpx.AsyncClient, actor: Actor, url: str, **more: Any
) -> dict[str, Any]:
    body = {"url": url, "events": ["execution.cancelled"], "secret": SECRET, **more}
    response = await client.post(API, json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert (created["secret"] is None) == (body["secret"] is not None)  # given: not echoed
    return created


async def _cancelled_run(app: FastAPI, client: httpx.AsyncClient, actor: Actor) -> str:
    """A run that reaches `cancelled` (cancelled while queued: no worker needed)."""
    crew = await make_crew(client, actor)
    started = await client.post(
        "/api/v1/executions", json={"crew_id": crew["id"], "inputs": INPUTS}, headers=actor.headers
    )
    assert started.status_code == 202, started.text
    run_id: str = started.json()["id"]
    cancelled = await client.post(f"/api/v1/executions/{run_id}/cancel", headers=actor.headers)
    assert cancelled.json()["status"] == "cancelled", cancelled.text
    return run_id


async def _deliveries(
    client: httpx.AsyncClient, actor: Actor, webhook_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/{webhook_id}/deliveries", headers=actor.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _verify(secret: str, request: Recorded) -> bool:
    """What docs/automation.md tells a receiver to do."""
    timestamp = request.headers["x-kasal-timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(request.headers["x-kasal-signature"], f"sha256={expected}")


async def test_a_loopback_url_is_refused_unless_private_addresses_are_allowed(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = await make_actor(app, client)
    for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook"):
        body = {"url": url, "events": ["execution.failed"]}
        response = await client.post(API, json=body, headers=actor.headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "webhook_url_refused"
        assert "loopback" in response.json()["error"]["message"]
    for url in ("ftp://example.org/x", "not a url", "/relative"):
        response = await client.post(
            API, json={"url": url, "events": ["execution.failed"]}, headers=actor.headers
        )
        assert response.status_code == 422, response.text

    monkeypatch.setattr(app.state.settings, "tools_http_allow_private", True)
    created = await _webhook(client, actor, "http://127.0.0.1:9/hook")
    assert created["enabled"] is True


async def test_the_secret_is_encrypted_and_shown_once(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    actor = await make_actor(app, client)
    created = await _webhook(client, actor, "http://127.0.0.1:9/hook", secret=None)
    secret = created["secret"]
    assert secret.startswith("whsec_")
    for response in (
        await client.get(API, headers=actor.headers),
        await client.get(f"{API}/{created['id']}", headers=actor.headers),
        await client.patch(
            f"{API}/{created['id']}", json={"description": "CI"}, headers=actor.headers
        ),
    ):
        assert response.status_code == 200, response.text
        assert secret not in response.text
        assert "secret" not in response.json()
    async with app.state.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT secret_encrypted FROM webhooks"))).scalar()
    assert secret not in stored
    assert crypto.current().decrypt(stored) == secret


@pytest.mark.parametrize("events", [[], ["task.completed"], ["execution.nope"], "execution.failed"])
async def test_events_must_be_execution_statuses(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings, events: Any
) -> None:
    actor = await make_actor(app, client)
    response = await client.post(
        API, json={"url": "http://127.0.0.1:9/", "events": events}, headers=actor.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_signed_delivery_is_retried_after_a_500(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    await seed_database(app)
    actor = await make_actor(app, client)
    with serving({"/hook": Receiver(500, 200)}) as receiver:
        hook = await _webhook(client, actor, f"{receiver.url}/hook")
        run_id = await _cancelled_run(app, client, actor)
        [pending] = await _deliveries(client, actor, hook["id"])
        assert (pending["event"], pending["status"], pending["attempts"]) == (
            "execution.cancelled",
            "pending",
            0,
        )
        settings = _sender_settings(app)
        now = utcnow()
        assert await deliver_due(app.state.sessionmaker, settings, now) == 1
        [failed] = await _deliveries(client, actor, hook["id"])
        assert (failed["status"], failed["attempts"], failed["last_status_code"]) == (
            "pending",
            1,
            500,
        )
        assert failed["last_error"] == "HTTP 500 Internal Server Error"
        retry_at = datetime.fromisoformat(failed["next_attempt_at"])
        assert retry_at == now + timedelta(seconds=30)
        assert await deliver_due(app.state.sessionmaker, settings, now + timedelta(seconds=29)) == 0
        assert await deliver_due(app.state.sessionmaker, settings, retry_at) == 1
        assert await deliver_due(app.state.sessionmaker, settings, retry_at) == 0

    [done] = await _deliveries(client, actor, hook["id"])
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 2, 200)
    assert done["last_error"] is None
    assert done["next_attempt_at"] is None
    first, second = receiver.requests
    assert first.body == second.body  # the same delivery, sent again
    for request in (first, second):
        assert request.method == "POST"
        assert request.path == "/hook"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-kasal-event"] == "execution.cancelled"
        assert request.headers["x-kasal-delivery"] == done["id"]
        assert _verify(SECRET, request)
        assert not _verify("another secret", request)
    assert first.headers["x-kasal-timestamp"] == str(int(now.timestamp()))
    payload = json.loads(second.body)
    assert payload["id"] == done["id"]
    assert payload["type"] == "execution.cancelled"
    assert payload["execution"]["id"] == run_id
    assert payload["data"] == {"reason": "cancelled before it started"}


async def test_two_replicas_send_a_delivery_once(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    """Two senders, each with its own engine (as two API processes), claim at once."""
    await seed_database(app)
    actor = await make_actor(app, client)
    settings = _sender_settings(app)
    other_engine = create_engine(settings.db_url)
    try:
        with serving({"/hook": Receiver(200)}) as receiver:
            hook = await _webhook(client, actor, f"{receiver.url}/hook")
            await _cancelled_run(app, client, actor)
            now = utcnow()
            replicas = [app.state.sessionmaker, create_sessionmaker(other_engine)]
            sent = await asyncio.gather(*(deliver_due(s, settings, now) for s in replicas * 2))
    finally:
        await other_engine.dispose()
    assert sorted(sent) == [0, 0, 0, 1]
    assert len(receiver.requests) == 1
    [delivery] = await _deliveries(client, actor, hook["id"])
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 1)


async def test_repeated_failures_disable_the_webhook_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    await seed_database(app)
    actor = await make_actor(app, client)
    settings = _sender_settings(app, webhook_disable_after=2, webhook_retry_base_s=0)
    with serving({"/hook": Receiver(503)}) as receiver:
        hook = await _webhook(client, actor, f"{receiver.url}/hook")
        await _cancelled_run(app, client, actor)
        now = utcnow()
        for _ in range(3):
            await deliver_due(app.state.sessionmaker, settings, now)
    assert len(receiver.requests) == 2  # disabled after the second: no third try
    read = (await client.get(f"{API}/{hook['id']}", headers=actor.headers)).json()
    assert read["enabled"] is False
    assert read["consecutive_failures"] == 2
    assert "after 2 failed deliveries in a row" in read["disabled_reason"]
    assert "HTTP 503" in read["disabled_reason"]

    enabled = await client.patch(
        f"{API}/{hook['id']}", json={"enabled": True}, headers=actor.headers
    )
    assert (enabled.json()["enabled"], enabled.json()["disabled_reason"]) == (True, None)


async def test_a_delivery_gives_up_after_its_attempts(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    await seed_database(app)
    actor = await make_actor(app, client)
    settings = _sender_settings(app, webhook_max_attempts=2, webhook_retry_base_s=0)
    with serving({"/hook": Receiver(500)}) as receiver:
        hook = await _webhook(client, actor, f"{receiver.url}/hook")
        await _cancelled_run(app, client, actor)
        for _ in range(3):
            await deliver_due(app.state.sessionmaker, settings, utcnow())
    assert len(receiver.requests) == 2
    [delivery] = await _deliveries(client, actor, hook["id"])
    assert (delivery["status"], delivery["attempts"]) == ("failed", 2)


async def test_the_guard_applies_at_delivery_too(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    """A webhook made while private addresses were allowed is not sent there once they
    are not: the address is checked at every delivery."""
    await seed_database(app)
    actor = await make_actor(app, client)
    with serving({"/hook": Receiver(200)}) as receiver:
        hook = await _webhook(client, actor, f"{receiver.url}/hook")
        await _cancelled_run(app, client, actor)
        closed = _sender_settings(app, tools_http_allow_private=False)
        await deliver_due(app.state.sessionmaker, closed, utcnow())
    assert receiver.requests == []
    [delivery] = await _deliveries(client, actor, hook["id"])
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 1
    assert "loopback" in delivery["last_error"]


async def test_only_the_events_listened_to_are_delivered(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    await seed_database(app)
    actor = await make_actor(app, client)
    stranger = await make_actor(app, client)
    succeeded_only = await _webhook(
        client, actor, "http://127.0.0.1:9/a", events=["execution.succeeded"]
    )
    queued_too = await _webhook(
        client, actor, "http://127.0.0.1:9/b", events=["execution.queued", "execution.cancelled"]
    )
    others = await _webhook(client, stranger, "http://127.0.0.1:9/c")
    await _cancelled_run(app, client, actor)
    assert await _deliveries(client, actor, succeeded_only["id"]) == []
    assert [d["event"] for d in await _deliveries(client, actor, queued_too["id"])] == [
        "execution.cancelled",
        "execution.queued",
    ]
    assert await _deliveries(client, stranger, others["id"]) == []
    missing = await client.get(f"{API}/{queued_too['id']}/deliveries", headers=stranger.headers)
    assert missing.status_code == 404


async def test_webhooks_belong_to_their_group(
    app: FastAPI, client: httpx.AsyncClient, private_allowed: Settings
) -> None:
    actor = await make_actor(app, client)
    hook = await _webhook(client, actor, "http://127.0.0.1:9/hook")
    stranger = await make_actor(app, client)
    url = f"{API}/{hook['id']}"
    for response in (
        await client.get(url, headers=stranger.headers),
        await client.patch(url, json={"enabled": False}, headers=stranger.headers),
        await client.delete(url, headers=stranger.headers),
    ):
        assert response.status_code == 404, response.text
    assert (await client.get(API, headers=stranger.headers)).json()["items"] == []
    assert (await client.get(API)).status_code == 401
    assert (await client.delete(url, headers=actor.headers)).status_code == 204
