"""`kasal serve` (what `make run` ends with) as a real process, on a fresh data dir.

The first start creates the admin and prints its password once; a port in use must stop
the command before that, saying how to pick another port.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.support import free_port, run_kasal, start_kasal

PASSWORD_LINE = "This password is shown only once"


def serve_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASAL_")}
    env.update(KASAL_DATA_DIR=str(data_dir), KASAL_PORT=str(port), KASAL_WORKERS="0")
    return env


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:  # another program, listening
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


async def test_a_port_in_use_stops_serve_before_the_admin_is_created(
    taken_port: int, tmp_path: Path
) -> None:
    data = tmp_path / "data"

    finished = await asyncio.to_thread(run_kasal, ["serve"], serve_env(data, taken_port), 60)

    assert finished.returncode == 2, finished.stderr
    assert f"Port {taken_port} on 127.0.0.1 is already in use" in finished.stderr
    assert f"KASAL_PORT={taken_port + 1} make run" in finished.stderr
    assert PASSWORD_LINE not in finished.stderr + finished.stdout
    assert not (data / "kasal.db").exists()  # the app never started: no admin was made


async def test_a_free_port_serves_and_shows_the_password_once(tmp_path: Path) -> None:
    port = free_port()
    process = start_kasal(["serve"], serve_env(tmp_path / "data", port))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await wait_until_up(http, process)
            assert (await http.get("/health")).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.to_thread(process.communicate, timeout=60)
    assert stderr.count(PASSWORD_LINE) == 1, stderr


async def wait_until_up(http: httpx.AsyncClient, process: subprocess.Popen[str]) -> None:
    async with asyncio.timeout(60):
        while process.poll() is None:
            try:
                await http.get("/health")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"kasal serve exited with {process.returncode}")
