"""A real Kasal server for tests that need real sockets: uvicorn on a free port, running
in its own thread and event loop, with real worker processes behind it."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from kasal.app import create_app
from kasal.core.config import Settings
from kasal.executions.dispatcher import Dispatcher
from tests.support.app import make_settings
from tests.support.database import reset_database


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        # IPPROTO_TCP, not 0: only then does asyncio set TCP_NODELAY on accepted connections
        # (without it every answer waits ~40 ms for a delayed ACK).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, log_config=None, lifespan="on", ws_ping_interval=None, server_header=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="kasal-live-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._server.serve(sockets=[self._socket]))

    def __enter__(self) -> LiveServer:
        self._thread.start()
        for _ in range(1200):  # warm workers import crewai: allow a minute on a busy machine
            if (self._server.started and self._warm()) or not self._thread.is_alive():
                break
            threading.Event().wait(0.05)
        if not self._server.started or not self._warm():
            raise RuntimeError("the live server did not start")
        return self

    def _warm(self) -> bool:
        """Its workers warm in the background: tests start once they take runs."""
        dispatcher = getattr(self.app.state, "dispatcher", None)
        return not isinstance(dispatcher, Dispatcher) or dispatcher.warming() is None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's own loop (e.g. to reach its dispatcher)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def pause(self) -> None:
        """Stop claiming queued runs and keeping house (its workers stay warm), and stop
        ingesting knowledge files. The session's server shares the test database with the
        in-process app and with servers a test starts itself; paused, it cannot take a run
        or a file meant for them (a file's original is in the data dir it was uploaded to)."""
        dispatcher = self.app.state.dispatcher
        dispatcher._fill_slots = dispatcher._housekeeping = _idle
        self.app.state.ingestion.round = _idle

    def resume(self) -> None:
        dispatcher = self.app.state.dispatcher
        for name in ("_fill_slots", "_housekeeping"):
            vars(dispatcher).pop(name, None)
        vars(self.app.state.ingestion).pop("round", None)
        dispatcher.wake()

    @property
    def worker_pids(self) -> list[int]:
        pids: list[int] = self.app.state.dispatcher.pool.pids()
        return pids


async def _idle() -> None:
    return None


def live_settings(db_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "workers": 1,
        "worker_concurrency": 4,
        "cancel_grace": 3,
        "worker_heartbeat_timeout": 10,
        "tools_http_allow_private": False,
    }
    values.update(overrides)
    return make_settings(db_url, data_dir, **values)


@pytest.fixture(scope="session")
def live_server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(live_settings(db_url, tmp_path_factory.mktemp("live"))) as server:
        server.pause()
        yield server


@pytest.fixture
async def live(live_server: LiveServer, app: FastAPI) -> AsyncIterator[LiveServer]:
    """The session's live server, working only for the tests that ask for it; its database
    is emptied after each test."""
    live_server.resume()
    yield live_server
    live_server.pause()
    await reset_database(app)
