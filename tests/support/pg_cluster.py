"""A private PostgreSQL server that checks passwords (the shared test server trusts every
connection): for tests where a password must be right, and change.

`initdb` and `postgres` come from the machine's PostgreSQL (Debian: /usr/lib/postgresql/N/bin).
PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg


def _bin(name: str) -> str:
    found = next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    ) or shutil.which(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    port: int
    user: str

    def connect(self, password: str, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            password=password,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )


@contextmanager
def password_cluster(user: str, password: str) -> Iterator[Cluster]:
    """A running cluster whose only role, `user` (a superuser), signs in with `password`
    (scram-sha-256, TCP on 127.0.0.1 only); database `kasal` exists. Removed on exit.

    Its folder is a new one in the system's temporary directory, not under pytest's, whose
    parents the `postgres` user may not enter."""
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="kasal-pg-"))
    (folder / "pw").write_text(password)
    if as_postgres:
        shutil.chown(folder, "postgres")
        shutil.chown(folder / "pw", "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(  # noqa: S603 (the machine's PostgreSQL programs)
        [
            *as_postgres,
            _bin("initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "--auth=scram-sha-256",
            f"--pwfile={folder / 'pw'}",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*as_postgres, _bin("pg_ctl"), "-D", str(data)]
    subprocess.run(  # noqa: S603
        [*pg_ctl, "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        cluster = Cluster(port, user)
        with cluster.connect(password) as admin:
            admin.execute("CREATE DATABASE kasal")
        yield cluster
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)  # noqa: S603
        shutil.rmtree(folder, ignore_errors=True)
