"""One share of the fan-out case's WebSocket subscribers, in a process of its own, so that
the measuring client is not what limits delivery.

`python -m benchmarks.subscribers WS_URL EXECUTION_ID COUNT` (the token on stdin) opens
COUNT sockets, subscribes each to the run, waits for the replay, prints `ready`; then
records, for every live event (created after it was ready), the delay from the event's
creation to its receipt, and prints them as JSON once the run has ended.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.client import ClientConnection, connect

FINAL = {"execution.succeeded", "execution.failed", "execution.cancelled", "execution.interrupted"}
REPLAY_WAIT_S = 0.5


async def _listen(ws: ClientConnection, joined: datetime, delays: list[float]) -> None:
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") != "event":
            continue
        event = message["event"]
        created = datetime.fromisoformat(event["ts"])
        if created > joined:
            delays.append((datetime.now(UTC) - created).total_seconds() * 1000)
        if event["type"] in FINAL:
            return


async def subscribe(url: str, token: str, execution_id: str, count: int) -> list[float]:
    sockets = [await connect(f"{url}?token={token}") for _ in range(count)]
    for ws in sockets:
        await ws.send(json.dumps({"type": "subscribe", "execution_id": execution_id}))
    await asyncio.sleep(REPLAY_WAIT_S)  # subscriptions registered, replays on their way
    joined = datetime.now(UTC)
    delays: list[float] = []
    listeners = [asyncio.create_task(_listen(ws, joined, delays)) for ws in sockets]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.gather(*listeners)
    for ws in sockets:
        await ws.close()
    return delays


if __name__ == "__main__":
    url, execution_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    found = asyncio.run(subscribe(url, sys.stdin.readline().strip(), execution_id, count))
    sys.stdout.write(json.dumps(found) + "\n")
