"""Kasal scaled out, as real processes on one PostgreSQL database: API replicas
(`kasal serve`, KASAL_WORKERS=0) and `kasal worker` processes, each with a data directory
of its own as if on its own host. Used by the scale-out tests and the benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet

from kasal.core.db import libpq_url
from tests.support.app import TEST_JWT_SECRET

KASAL = str(Path(sys.executable).parent / "kasal")
ADMIN_EMAIL = "admin@kasal.local"
ADMIN_PASSWORD = "cluster-admin-password"
START_S = 120  # a worker imports crewai before it is ready: generous on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            # A session of its own: its warm worker processes are its process group.
            self.popen = subprocess.Popen(  # noqa: S603 (our own command)
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """`kill -9`: no clean-up of any kind."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def kill_all(self) -> None:
        """`kill -9` of the process and of every process it started (its warm workers)."""
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Cluster:
    def __init__(self, db_url: str, root: Path, **settings: str) -> None:
        self.db_url = db_url
        self.root = root
        self.processes: list[Process] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KASAL_")},
            "KASAL_DATABASE_URL": db_url,
            "KASAL_QUEUE": "procrastinate",
            "KASAL_JWT_SECRET": TEST_JWT_SECRET,
            "KASAL_SECRET_KEYS": Fernet.generate_key().decode(),  # the same on every host
            "KASAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KASAL_ARGON2_MEMORY_KIB": "32",
            "KASAL_RATE_LIMIT": "off",
            "KASAL_LOG_LEVEL": "WARNING",
            **{f"KASAL_{k.upper()}": v for k, v in settings.items()},
        }

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in reversed(self.processes):
            process.stop()

    def _process(self, name: str, argv: list[str], port: int | None, **env: str) -> Process:
        data_dir = self.root / name
        data_dir.mkdir(exist_ok=True)
        values = {
            **self.env,
            "KASAL_DATA_DIR": str(data_dir),
            "KASAL_FRONTEND_DIR": str(data_dir / "no-frontend"),
            **{f"KASAL_{k.upper()}": v for k, v in env.items()},
        }
        process = Process(name, argv, values, self.root / f"{name}.log", port)
        self.processes.append(process)
        return process

    def api(self, name: str, *, workers: int = 0) -> Process:
        """An API replica that runs no workers: it accepts, stores and streams. With
        `workers`, it runs runs too (`kasal serve` on its own, as on one host)."""
        port = free_port()
        argv = [KASAL, "serve", "--port", str(port)]
        process = self._process(name, argv, port, workers=str(workers))
        process.start()
        self.wait_ready(process)
        return process

    def wait_ready(self, api: Process) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if not api.alive():
                raise RuntimeError(f"{api.name} exited:\n{api.output()}")
            try:
                if httpx.get(f"{api.url}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{api.name} did not become ready:\n{api.output()}")

    def worker(self, name: str, *, workers: int = 1, concurrency: int = 4) -> Process:
        process = self._process(
            name, [KASAL, "worker"], None, workers=str(workers), worker_concurrency=str(concurrency)
        )
        process.start()
        return process

    def wait_workers(self, count: int) -> None:
        """Until `count` procrastinate workers are registered: each registers once its warm
        worker processes are up."""
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.port is None and not process.alive():
                    raise RuntimeError(f"{process.name} exited:\n{process.output()}")
            if self.registered_workers() >= count:
                return
            time.sleep(0.2)
        raise RuntimeError(f"fewer than {count} workers registered")

    def registered_workers(self) -> int:
        row = self.query("SELECT count(*) FROM procrastinate_workers")[0]
        return int(row[0])

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq_url(self.db_url), autocommit=True) as connection:
            return list(connection.execute(sql.encode(), params).fetchall())
