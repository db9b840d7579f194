"""Database connections: stored encrypted, shown masked, decrypted only to test or to run.

The whole URL is one secret-box ciphertext (a password can hide in its query string too);
beside it are kept the masked URL people see and whether it carries a password. A URL or
password never appears in a response, a log line or an error. A SQLite URL is a file on
the server: its path must be absolute, and never inside Kasal's data directory (Kasal's
own database, secret key and every group's run folders live there).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Collection
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from kasal.connections.models import DatabaseConnection
from kasal.connections.repository import ConnectionRepository
from kasal.connections.schemas import (
    ConnectionCheck,
    ConnectionCreate,
    ConnectionRead,
    ConnectionUpdate,
)
from kasal.core import crypto
from kasal.core.context import GroupContext
from kasal.core.db import committed_unless_taken
from kasal.core.errors import Conflict, InvalidInput, NotFound
from kasal.core.pagination import Page, PageParams
from kasal.engine import spec
from kasal.engine.tools import databases

TEST_TIMEOUT_S = 10.0


async def list_connections(
    session: AsyncSession, ctx: GroupContext, params: PageParams
) -> Page[ConnectionRead]:
    repo = ConnectionRepository(session, ctx.group_id)
    rows, cursor = await repo.page(repo.select(), params, DatabaseConnection.name)
    return Page(items=[_read(row) for row in rows], next_cursor=cursor)


async def get(session: AsyncSession, ctx: GroupContext, connection_id: uuid.UUID) -> ConnectionRead:
    return _read(await _row(ConnectionRepository(session, ctx.group_id), connection_id))


async def create(
    session: AsyncSession, ctx: GroupContext, body: ConnectionCreate, data_dir: Path
) -> ConnectionRead:
    url = _parse(body.url, body.password, data_dir)
    repo = ConnectionRepository(session, ctx.group_id)
    if await repo.named(body.name) is not None:
        raise _name_taken(body.name)
    row = DatabaseConnection(name=body.name, description=body.description)
    _store_url(row, url)
    async with committed_unless_taken(session, _name_taken(body.name)):
        await repo.add(row)
    return _read(row)


async def update(
    session: AsyncSession,
    ctx: GroupContext,
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
    data_dir: Path,
) -> ConnectionRead:
    repo = ConnectionRepository(session, ctx.group_id)
    row = await _row(repo, connection_id)
    if body.name is not None and body.name != row.name:
        if await repo.named(body.name) is not None:
            raise _name_taken(body.name)
        row.name = body.name
    async with committed_unless_taken(session, _name_taken(body.name or row.name)):
        if body.url is not None or body.password is not None:
            _store_url(row, _changed_url(row, body, data_dir))
        if body.description is not None:
            row.description = body.description
    return _read(row)


async def delete(session: AsyncSession, ctx: GroupContext, connection_id: uuid.UUID) -> None:
    repo = ConnectionRepository(session, ctx.group_id)
    await repo.delete(await _row(repo, connection_id))
    await session.commit()


async def test(
    session: AsyncSession, ctx: GroupContext, connection_id: uuid.UUID
) -> ConnectionCheck:
    """Connect as a run would (read-only, time-limited) and ask the server's version."""
    row = await _row(ConnectionRepository(session, ctx.group_id), connection_id)
    url = _secret(row)
    started = time.monotonic()
    version = error = None
    try:
        version = await asyncio.wait_for(
            asyncio.to_thread(databases.server_version, url, TEST_TIMEOUT_S), TEST_TIMEOUT_S + 2
        )
    except databases.DatabaseError as exc:
        error = str(exc)
    except TimeoutError:
        error = f"The database did not answer within {TEST_TIMEOUT_S:g} s."
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return ConnectionCheck(
        ok=error is None, server_version=version, error=error, elapsed_ms=elapsed_ms
    )


async def names(session: AsyncSession, ctx: GroupContext) -> set[str]:
    """The group's connection names, for the crew rules (nothing is decrypted)."""
    return await ConnectionRepository(session, ctx.group_id).names()


async def resolve_for_run(
    session: AsyncSession, group_id: uuid.UUID, wanted: Collection[str]
) -> dict[str, spec.DatabaseConnection]:
    """The group's connections named in `wanted`, URLs decrypted but wrapped, for a run.
    A name the group lacks is left out: the engine's rules then say so."""
    if not wanted:
        return {}
    rows = await ConnectionRepository(session, group_id).of_names(wanted)
    return {
        row.name: spec.DatabaseConnection(
            name=row.name, url=SecretStr(_secret(row)), description=row.description
        )
        for row in rows
    }


def _parse(raw: SecretStr, password: SecretStr | None, data_dir: Path) -> URL:
    given = password.get_secret_value() if password is not None else None
    try:
        url = databases.parse_url(raw.get_secret_value(), given)
    except databases.DatabaseError as exc:
        raise InvalidInput("invalid_connection_url", str(exc)) from None
    path = databases.sqlite_path(url)
    if path is not None and Path(path).resolve().is_relative_to(data_dir.resolve()):
        raise InvalidInput(
            "connection_path_forbidden",
            "This SQLite file is inside Kasal's data directory, which holds Kasal's own "
            "database and every group's run folders: connect to a file elsewhere.",
        )
    return url


def _changed_url(row: DatabaseConnection, body: ConnectionUpdate, data_dir: Path) -> URL:
    """The edited URL. A URL sent back as shown (the password as ***) keeps the password."""
    stored = databases.parse_url(_secret(row))
    raw = body.url if body.url is not None else SecretStr(databases.secret_url(stored))
    url = _parse(raw, body.password, data_dir)
    if body.password is None and url.password == databases.MASK:
        url = databases.with_password(url, stored.password)
    return url


def _store_url(row: DatabaseConnection, url: URL) -> None:
    row.dialect = url.get_backend_name()
    row.url_encrypted = crypto.current().encrypt(databases.secret_url(url))
    row.url_masked = databases.masked(url)
    row.has_password = databases.has_password(url)


def _secret(row: DatabaseConnection) -> str:
    return crypto.current().decrypt(row.url_encrypted)


async def _row(repo: ConnectionRepository, connection_id: uuid.UUID) -> DatabaseConnection:
    row = await repo.get(connection_id)
    if row is None:
        raise NotFound("connection_not_found", "No such database connection")
    return row


def _read(row: DatabaseConnection) -> ConnectionRead:
    return ConnectionRead(
        id=row.id,
        name=row.name,
        dialect=row.dialect,
        url=row.url_masked,
        has_password=row.has_password,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _name_taken(name: str) -> Conflict:
    return Conflict("connection_name_taken", f"A database connection named {name!r} already exists")
