"""Running the `kasal` command: in-process through typer's CliRunner, or as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from kasal.cli import app

KASAL = Path(sys.executable).parent / "kasal"  # the console script of this environment


def invoke(args: list[str], env: Mapping[str, str | None], stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, args, env=dict(env), input=stdin, catch_exceptions=False)


def environment(config_dir: Path, url: str | None, token: str | None) -> dict[str, str | None]:
    return {"KASAL_CONFIG_DIR": str(config_dir), "KASAL_URL": url, "KASAL_TOKEN": token}


def process_env(config_dir: Path, url: str | None, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KASAL_URL", "KASAL_TOKEN", "COLUMNS")}
    env.update({k: v for k, v in environment(config_dir, url, token).items() if v is not None})
    return env


def run_kasal(
    args: list[str], env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own console script)
        [str(KASAL), *args], env=dict(env), capture_output=True, text=True, timeout=timeout
    )


def start_kasal(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 (our own console script)
        [str(KASAL), *args],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    """A port nothing listens on (so far): a server that is down, or one to start."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
