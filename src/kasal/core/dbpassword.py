"""Database passwords that change while Kasal runs: read for every new connection.

A rotated password (a file a secret manager rewrites) or a short-lived token (Lakebase:
the app identity's OAuth token) cannot sit in the database URL, which is read once.
`use_password` puts the current one into each new connection's parameters instead, so a
rotation needs no restart, and pooled connections, already authenticated, go on serving.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from kasal.core.errors import ConfigError

PasswordSource = Callable[[], str]


def password_file(path: Path) -> PasswordSource:
    def read() -> str:
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"KASAL_DATABASE_PASSWORD_FILE {path}: {exc.strerror}") from exc

    return read


def lakebase_token(host: str | None) -> PasswordSource:
    """The OAuth token of the identity the Databricks SDK finds (in an App: the app's
    service principal, DATABRICKS_CLIENT_ID/_SECRET). The SDK caches it and renews it
    before it expires, so every new connection gets a valid one."""
    from databricks.sdk import WorkspaceClient

    client = WorkspaceClient(host=host) if host else WorkspaceClient()

    def token() -> str:
        return client.config.oauth_token().access_token

    return token


def use_password(engine: AsyncEngine, password: PasswordSource) -> None:
    def set_password(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params["password"] = password()

    event.listen(engine.sync_engine, "do_connect", set_password)
