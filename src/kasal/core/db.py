"""Database plumbing: the declarative base, portable column types, engine and sessions."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from kasal.core.dbpassword import PasswordSource, use_password

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value of an Integer column on PostgreSQL: a bigger number in a query is a
# database error (500), so inputs compared with such columns are bounded by it (422).
MAX_INT = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend.

    SQLite keeps no zone, so values are normalised to UTC on the way in and tagged
    UTC on the way out; naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
        uuid.UUID: Uuid,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


PRIVATE_FILE = 0o600
_SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), or tighten one.

    SQLite would create it 0644 (less the umask): every local user could read the
    users, tokens and runs. It gives its -wal, -shm and -journal files the mode of the
    database file, so creating that one first is enough for them; existing ones (an
    older install) are tightened too. Anything but a plain file path is left alone.
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    path = Path(database)
    if database.startswith("file:") or not path.parent.is_dir():
        return  # a URI filename, or no folder yet: SQLite itself will say what is wrong
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + end) for end in _SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError):  # SQLite removes them as it pleases
            file.chmod(PRIVATE_FILE)


# Seconds a new PostgreSQL connection may take: a vanished host fails fast and is retried.
CONNECT_TIMEOUT_S = 10


def create_engine(url: str, password: PasswordSource | None = None) -> AsyncEngine:
    """On a server database, pooled connections are pinged before use, so that those a
    restart or an outage killed are replaced instead of failing the next statement.
    `password`, if given, is asked for every new connection (see `dbpassword`)."""
    private_sqlite_file(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
    if password is not None:
        use_password(engine, password)
    return engine


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq writes it, for code that connects with psycopg
    itself (procrastinate, LISTEN/NOTIFY)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Foreign keys on (SQLite's default is off); WAL so readers don't block the writer,
    with synchronous=NORMAL, WAL's usual partner: never corrupt, one fsync per checkpoint
    rather than per commit (a power cut may lose the last moments, a crash loses nothing)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@contextlib.asynccontextmanager
async def committed_unless_taken(session: AsyncSession, taken: Exception) -> AsyncIterator[None]:
    """Commit what the block adds or changes. A unique name or key that a concurrent request
    took between the service's check and this write raises `taken` (a 409), rolled back."""
    try:
        yield
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise taken from None


def create_sessionmaker(
    engine: AsyncEngine, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info`: what every session carries in `session.info` (an API process's auth cache)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


class GroupOwnedMixin:
    """Tenant data: every row belongs to exactly one group. Use with GroupScopedRepository."""

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
