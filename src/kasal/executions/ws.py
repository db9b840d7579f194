"""The WebSocket: live events of the executions a client subscribes to, and its group's feed.

Protocol (JSON text frames):
- client → `{"type": "subscribe", "execution_id": "…", "after": <seq>}`, `{"type": "unsubscribe",
  "execution_id": "…"}`
- server → `{"type": "event", "event": {…}}` (stored events after `after`, then live ones: no
  gap, no duplicate), `{"type": "execution.status", "execution_id", "crew_id", "status"}` (the
  group feed), `{"type": "ping"}` (heartbeat), `{"type": "error", "code", "message"}`.

Authenticate with `?token=` or an `Authorization: Bearer` header; `?group=` picks the feed
(default: the personal group). A client too slow to keep up is closed with code 4008; it
reconnects and resumes with `after`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocketState

from kasal.auth import groups
from kasal.auth import service as auth
from kasal.core.errors import KasalError
from kasal.executions import service
from kasal.executions.schemas import EventRead
from kasal.realtime.bus import EventBus, Subscription, execution_channel, group_channel

logger = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_GROUP_NOT_FOUND = 4404
CLOSE_SLOW_CONSUMER = 4008
PING_S = 20.0
SEND_TIMEOUT_S = 10.0


class _Subscribe(BaseModel):
    type: str
    execution_id: uuid.UUID | None = None
    after: int = 0


class _Connection:
    def __init__(self, websocket: WebSocket, user_id: uuid.UUID, subscription: Subscription):
        self.websocket = websocket
        self.user_id = user_id
        self.subscription = subscription
        self.last: dict[uuid.UUID, int] = {}
        self.lock = asyncio.Lock()
        app = websocket.app
        self.sessions = app.state.sessionmaker

    async def send(self, message: dict[str, Any] | str) -> None:
        frame = message if isinstance(message, str) else json.dumps(message)
        async with asyncio.timeout(SEND_TIMEOUT_S):
            await self.websocket.send_text(frame)

    async def subscribe(self, execution_id: uuid.UUID, after: int) -> None:
        async with self.sessions() as session:
            await service.subscribable(session, self.user_id, execution_id)
        async with self.lock:
            self.subscription.add(execution_channel(execution_id))  # live first, then replay
            self.last[execution_id] = after
            await self._catch_up(execution_id)

    async def unsubscribe(self, execution_id: uuid.UUID) -> None:
        async with self.lock:
            self.subscription.remove(execution_channel(execution_id))
            self.last.pop(execution_id, None)

    async def deliver(self, event: dict[str, Any], frame: str) -> None:
        """Send a live event (`frame`: it, already serialised) unless replay covered it."""
        execution_id = uuid.UUID(event["execution_id"])
        async with self.lock:
            last = self.last.get(execution_id)
            if last is None or event["seq"] <= last:
                return  # unsubscribed, or already sent by the replay
            if event["seq"] == last + 1:
                await self.send(frame)
                self.last[execution_id] = event["seq"]
            else:
                await self._catch_up(execution_id)  # the log has what we missed

    async def _catch_up(self, execution_id: uuid.UUID) -> None:
        while True:
            events = await service.read_after(self.sessions, execution_id, self.last[execution_id])
            for event in events:
                await self.send({"type": "event", "event": _json(event)})
                self.last[execution_id] = event.seq
            if len(events) < service.EVENT_PAGE:
                return


def _json(event: EventRead) -> dict[str, Any]:
    return event.model_dump(mode="json")


async def _authenticate(websocket: WebSocket) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The user and the group whose feed they get, or None after closing with a reason.

    Accepted first, so a refused client gets a close code and reason rather than a bare 403.
    """
    await websocket.accept()
    app = websocket.app
    header = websocket.headers.get("authorization", "")
    token = websocket.query_params.get("token") or header.removeprefix("Bearer ").strip()
    group = websocket.query_params.get("group")
    async with app.state.sessionmaker() as session:
        try:
            if not token:
                raise KasalError("not_authenticated", "Send ?token= or an Authorization header")
            user = await auth.authenticate(session, app.state.settings, token)
        except KasalError as exc:
            await websocket.close(CLOSE_UNAUTHORIZED, exc.message)
            return None
        try:
            ctx = await groups.context_for(session, user, uuid.UUID(group) if group else None)
        except (KasalError, ValueError):
            await websocket.close(CLOSE_GROUP_NOT_FOUND, "No such group")
            return None
    return user.id, ctx.group_id


@router.websocket("/api/v1/ws")
@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    identity = await _authenticate(websocket)
    if identity is None:
        return
    user_id, group_id = identity
    bus: EventBus = websocket.app.state.bus
    connection = _Connection(websocket, user_id, bus.subscribe(group_channel(group_id)))
    reader = asyncio.create_task(_read(connection))
    try:
        await _pump(connection, reader)
    except (WebSocketDisconnect, TimeoutError, RuntimeError):
        pass  # the client went away, or stopped reading: either way, we are done
    finally:
        connection.subscription.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await reader
        if websocket.client_state == WebSocketState.CONNECTED:
            reason = "slow consumer: reconnect and resume with after=<last seq>"
            code = CLOSE_SLOW_CONSUMER if connection.subscription.overflowed else 1000
            with contextlib.suppress(RuntimeError):
                await websocket.close(code, reason if code == CLOSE_SLOW_CONSUMER else None)


async def _pump(connection: _Connection, reader: asyncio.Task[None]) -> None:
    """Bus → client, plus heartbeats, until the client leaves or falls too far behind.

    Each message is awaited straight from the subscription's queue under one timer (the
    heartbeat's): no task and no `asyncio.wait` per message, which with a hundred
    subscribers was most of the cost of fanning an event out. The reader ending (the client
    left) puts a last message in the queue that wakes the pump."""
    queue = connection.subscription.queue
    reader.add_done_callback(lambda _: _offer_quietly(queue, _LEFT))
    while not connection.subscription.overflowed and not reader.done():
        try:
            async with asyncio.timeout(PING_S):
                message = await queue.get()
        except TimeoutError:
            await connection.send({"type": "ping"})
            continue
        if message["kind"] == "event":
            await connection.deliver(message["event"], message["frame"])
        elif message["kind"] == "status":
            await connection.send(
                {"type": "execution.status", **{k: message[k] for k in _STATUS_FIELDS}}
            )


_LEFT: dict[str, Any] = {"kind": "left"}


def _offer_quietly(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    """A full queue needs no wake-up: the pump is busy and sees the reader done next."""
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(message)


_STATUS_FIELDS = ("execution_id", "crew_id", "status")


async def _read(connection: _Connection) -> None:
    """Client → server: subscriptions. Errors are answered, never fatal to the connection."""
    while True:
        raw = await connection.websocket.receive_text()
        try:
            message = _Subscribe.model_validate_json(raw)
            if message.execution_id is None or message.type not in ("subscribe", "unsubscribe"):
                raise ValueError("expected subscribe or unsubscribe with an execution_id")
            if message.type == "subscribe":
                await connection.subscribe(message.execution_id, message.after)
            else:
                await connection.unsubscribe(message.execution_id)
        except KasalError as exc:
            await connection.send({"type": "error", "code": exc.code, "message": exc.message})
        except (ValidationError, ValueError) as exc:
            await connection.send({"type": "error", "code": "bad_message", "message": str(exc)})
