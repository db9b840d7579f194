"""One share of a read benchmark's connections, in a process of its own: a plain HTTP/1.1
keep-alive client on asyncio streams (an HTTP library's own cost would be what it measures).

`python -m benchmarks.load BASE_URL PATH CONNECTIONS SECONDS` (the token on stdin) keeps
CONNECTIONS connections busy with `GET PATH` for SECONDS after a short warm-up, and prints
JSON: requests answered, non-200 answers, the seconds measured and every latency in ms.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

WARMUP_S = 0.5


async def _connection(
    host: str, port: int, request: bytes, until: float, measure_from: float, out: dict[str, list]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (sent := time.monotonic()) < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if sent >= measure_from:
                out["latencies"].append((time.monotonic() - sent) * 1000)
                if status != 200:
                    out["errors"].append(status)
    finally:
        writer.close()


async def load(base_url: str, path: str, token: str, connections: int, seconds: float) -> dict:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    out: dict[str, list] = {"latencies": [], "errors": []}
    measure_from = time.monotonic() + WARMUP_S
    until = measure_from + seconds
    await asyncio.gather(
        *(_connection(host, port, request, until, measure_from, out) for _ in range(connections))
    )
    return {
        "requests": len(out["latencies"]),
        "errors": out["errors"][:10],
        "error_count": len(out["errors"]),
        "seconds": seconds,
        "latencies_ms": out["latencies"],
    }


if __name__ == "__main__":
    base, path, connections, seconds = sys.argv[1:5]
    token = sys.stdin.readline().strip()
    result = asyncio.run(load(base, path, token, int(connections), float(seconds)))
    sys.stdout.write(json.dumps(result) + "\n")
