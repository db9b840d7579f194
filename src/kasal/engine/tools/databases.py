"""Read-only sessions on the databases a group configured, for `sql_query` and the API.

Free of crewai, so the API process uses the same code to check a URL and to test a
connection that the worker uses to run an agent's SQL.

Read-only is the database's job, never a guess about the SQL text. Every call opens its
own connection, starts a read-only transaction under a statement time limit, runs one
statement and throws the connection away:
- PostgreSQL: `default_transaction_read_only` for the session, `SET TRANSACTION READ ONLY`
  and `SET LOCAL statement_timeout` for the transaction.
- MySQL / MariaDB: `max_execution_time` (MariaDB: `max_statement_time`) for the session,
  then `START TRANSACTION READ ONLY`.
- SQLite: the file opened read-only (a `mode=ro` URI, so it is never created), `PRAGMA
  query_only`, and a progress handler that interrupts a statement past its deadline.
One statement means one: psycopg sends it with the extended protocol, which refuses
several commands; sqlite3 runs one; pymysql connects without multi-statements. So a
`COMMIT; INSERT ...` cannot step out of the read-only transaction.
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import pymysql.cursors
from sqlalchemy import Connection, Engine, create_engine, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import NullPool

MASK = "***"
CELL_CHARS = 200  # a longer value is cut: the model needs the gist, not a whole document
TABLE_CHARS = 30_000  # rows past this many characters are left out, like rows past the limit
URL_EXAMPLES = (
    "postgresql://user:password@host:5432/database, mysql://user:password@host/database "
    "or sqlite:////absolute/path/to/file.db"
)
# Query parameters that may carry a credential: masked wherever a URL is shown.
_SECRET_QUERY_WORDS = ("password", "passwd", "secret", "token")


class DatabaseError(Exception):
    """What went wrong, in words a person or a model can act on; never holds a password."""


@dataclass(frozen=True)
class _Flavor:
    """How Kasal talks to one kind of database."""

    label: str
    driver: str  # the synchronous driver Kasal ships for it
    engine: Callable[[URL, float], Engine]  # one connection per use: no pool
    begin: Callable[[Connection, float], None]  # the read-only transaction, time-limited
    # One statement on the raw DBAPI connection: its cursor (for the column names, known
    # once rows come) and its rows, read lazily so a huge result is never held whole.
    rows: Callable[[Any, str], tuple[Any, Iterator[Sequence[Any]]]]
    timed_out: Callable[[BaseException], bool]


# --------------------------------------------------------------------------- URLs


def parse_url(raw: str, password: str | None = None) -> URL:
    """The URL with the driver Kasal uses for it; DatabaseError says what to fix.

    `password`, when given, replaces the URL's own ("" removes it). A SQLite URL names a
    file on the host that runs Kasal, so its path must be absolute: a relative one would
    depend on the directory the server was started from.
    """
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise DatabaseError(f"This is not a database URL. Write it like {URL_EXAMPLES}.") from None
    if password is not None:
        url = with_password(url, password)
    backend, _, driver = url.drivername.partition("+")
    flavor = _FLAVORS.get(backend)
    if flavor is None:
        raise DatabaseError(
            f"The database type {backend!r} is not supported: use one of "
            f"{', '.join(sorted(_FLAVORS))} ({URL_EXAMPLES})."
        )
    if driver and driver != flavor.driver:
        raise DatabaseError(
            f"The driver {driver!r} is not available; write {backend}:// "
            f"(Kasal connects with {flavor.driver})."
        )
    if backend == "sqlite":
        _check_sqlite(url)
    return url.set(drivername=f"{backend}+{flavor.driver}")


def sqlite_path(url: URL) -> str | None:
    """The database file of a SQLite URL; None for every other database."""
    return url.database if url.get_backend_name() == "sqlite" else None


def _check_sqlite(url: URL) -> None:
    path = url.database or ""
    if not path or path == ":memory:" or path.startswith("file:"):
        raise DatabaseError(
            "Name the database file by its absolute path: sqlite:////absolute/path/to/file.db "
            "(four slashes)."
        )
    if not PurePosixPath(path).is_absolute():
        raise DatabaseError(
            f"The SQLite path {path!r} is relative; a SQLite URL names a file on the server, "
            "so give its absolute path: sqlite:////absolute/path/to/file.db (four slashes)."
        )
    if url.query or url.host or url.username or url.password:
        raise DatabaseError(
            "A SQLite URL is only a file path (sqlite:////absolute/path/to/file.db): "
            "no host, user, password or options."
        )


def label(url: URL) -> str:
    """The kind of database, as people name it: "PostgreSQL", "MySQL", "SQLite"."""
    return _FLAVORS[url.get_backend_name()].label


def masked(url: URL) -> str:
    """The URL as shown to people: the password and credential-like options as ***."""
    query = {
        key: MASK if any(word in key.lower() for word in _SECRET_QUERY_WORDS) else value
        for key, value in url.query.items()
    }
    shown = url.set(drivername=url.get_backend_name(), query=query)
    return shown.render_as_string(hide_password=True)


def has_password(url: URL) -> bool:
    return bool(url.password)


def with_password(url: URL, password: str | None) -> URL:
    # URL.set ignores None, so a password is removed by replacing the field.
    return url._replace(password=password or None)


def secret_url(url: URL) -> str:
    """The whole URL, password included: what is encrypted at rest and handed to a run."""
    return url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------- sessions


@contextmanager
def read_only(url: str, timeout_s: float) -> Iterator[Connection]:
    """A connection inside a read-only transaction whose statements stop after `timeout_s`.

    Every failure, in connecting or in what the caller runs, comes out as DatabaseError.
    """
    parsed = parse_url(url)
    flavor = _FLAVORS[parsed.get_backend_name()]
    engine = flavor.engine(parsed, timeout_s)
    # SQLAlchemy wraps what it runs; the raw cursors raise the driver's own errors.
    failures = (SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
    try:
        try:
            connection = engine.connect()
        except failures as exc:
            raise DatabaseError(
                f"Cannot connect to the database: {_plain(exc, parsed.password)}"
            ) from None
        try:
            flavor.begin(connection, timeout_s)
            yield connection
        except failures as exc:
            raise DatabaseError(_failure(exc, flavor, timeout_s, parsed.password)) from None
        finally:
            # Dropped, not rolled back: a rollback would first read every row not taken.
            connection.invalidate()
            connection.close()
    finally:
        engine.dispose()


def server_version(url: str, timeout_s: float) -> str:
    """The server's name and version, e.g. "PostgreSQL 16.4", proving it answers."""
    with read_only(url, timeout_s) as connection:
        info = connection.dialect.server_version_info or ()
        mariadb = getattr(connection.dialect, "is_mariadb", False)  # even behind mysql://
        name = "MariaDB" if mariadb else _FLAVORS[connection.dialect.name].label
        return f"{name} {'.'.join(str(part) for part in info)}".strip()


def query(connection: Connection, sql: str, max_rows: int) -> str:
    """The rows of one statement as a text table, cut after `max_rows` (saying so)."""
    flavor = _FLAVORS[connection.dialect.name]
    cursor, results = flavor.rows(connection.connection.dbapi_connection, sql)
    rows = list(itertools.islice(results, max_rows + 1))
    if cursor.description is None:
        return "The statement ran and returned no rows."
    columns = [column[0] for column in cursor.description]
    return text_table(columns, rows[:max_rows], more=len(rows) > max_rows)


def list_tables(connection: Connection, schema: str | None) -> str:
    inspector = inspect(connection)
    tables = inspector.get_table_names(schema=schema)
    views = inspector.get_view_names(schema=schema)
    where = f" in schema {schema!r}" if schema else ""
    if not tables and not views:
        return f"There are no tables or views{where}."
    lines = [f"Tables{where}: {', '.join(tables) or 'none'}"]
    if views:
        lines.append(f"Views{where}: {', '.join(views)}")
    return "\n".join(lines)


def describe_table(connection: Connection, table: str, schema: str | None) -> str:
    inspector = inspect(connection)
    try:
        columns = inspector.get_columns(table, schema=schema)
        primary = set(inspector.get_pk_constraint(table, schema=schema)["constrained_columns"])
        foreign = inspector.get_foreign_keys(table, schema=schema)
    except NoSuchTableError:
        raise DatabaseError(
            f"There is no table {table!r}; use the list_tables mode to see the tables."
        ) from None
    rows = [
        (
            column["name"],
            str(column["type"]),
            "yes" if column["nullable"] else "no",
            column.get("default"),
            "yes" if column["name"] in primary else "",
        )
        for column in columns
    ]
    lines = [text_table(["column", "type", "nullable", "default", "primary key"], rows)]
    for key in foreign:
        target = ".".join(filter(None, (key.get("referred_schema"), key["referred_table"])))
        lines.append(
            f"Foreign key ({', '.join(key['constrained_columns'])}) references "
            f"{target} ({', '.join(key['referred_columns'])})"
        )
    return "\n".join(lines)


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, more: bool = False) -> str:
    """A compact table: one line per row, cells between ` | `, long values cut."""
    lines = [" | ".join(columns), " | ".join("-" * len(name) for name in columns)]
    size = sum(len(line) for line in lines)
    shown = 0
    for row in rows:
        line = " | ".join(_cell(value) for value in row)
        size += len(line) + 1
        if size > TABLE_CHARS:
            more = True
            break
        lines.append(line)
        shown += 1
    if more:
        lines.append(
            f"[Only the first {shown} rows are shown; there are more. "
            "Narrow the query, aggregate, or select fewer columns.]"
        )
    else:
        lines.append(f"({shown} row{'' if shown == 1 else 's'})")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    text = " ".join(str(value).split()) if isinstance(value, str) else str(value)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _failure(exc: Exception, flavor: _Flavor, timeout_s: float, password: str | None) -> str:
    if flavor.timed_out(_original(exc)):
        return (
            f"The statement took longer than {timeout_s:g} s and was stopped. "
            "Narrow it (a WHERE clause, a LIMIT) or aggregate."
        )
    return f"The database refused the statement: {_plain(exc, password)}"


def _plain(exc: Exception, password: str | None) -> str:
    """The driver's own message (not SQLAlchemy's wrapping, which repeats the SQL)."""
    original = _original(exc)
    message = str(original).strip() or type(original).__name__
    return message.replace(password, MASK) if password else message


def _original(exc: Exception) -> BaseException:
    """The driver's exception under SQLAlchemy's wrapper, if there is one."""
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def _timeout_ms(timeout_s: float) -> int:
    return max(1, math.ceil(timeout_s * 1000))


def _connect_timeout(timeout_s: float) -> int:
    return max(2, math.ceil(timeout_s))  # whole seconds; libpq treats less than 2 as 2


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_engine(url: URL, timeout_s: float) -> Engine:
    given = url.query.get("options")
    options = given if isinstance(given, str) else ""
    connect_args = {
        "connect_timeout": _connect_timeout(timeout_s),
        "options": f"{options} -c default_transaction_read_only=on".strip(),
    }
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def _postgres_begin(connection: Connection, timeout_s: float) -> None:
    connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {_timeout_ms(timeout_s)}")


def _postgres_rows(raw: Any, sql: str) -> tuple[Any, Iterator[Sequence[Any]]]:
    """Row by row (libpq's single-row mode), in the extended protocol: one statement."""
    cursor = raw.cursor()
    return cursor, cursor.stream(sql)


def _postgres_timed_out(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) == "57014"  # query_canceled


# --------------------------------------------------------------------------- MySQL


def _mysql_engine(url: URL, timeout_s: float) -> Engine:
    connect_args = {
        "connect_timeout": _connect_timeout(timeout_s),
        # A socket read waits no longer than the statement may run, plus a margin.
        "read_timeout": _connect_timeout(timeout_s) + 5,
        "client_flag": 0,  # never the multi-statements flag, whatever the URL asked
    }
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def _mysql_begin(connection: Connection, timeout_s: float) -> None:
    if getattr(connection.dialect, "is_mariadb", False):
        connection.exec_driver_sql(f"SET SESSION max_statement_time = {timeout_s:.3f}")
    else:
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {_timeout_ms(timeout_s)}")
    connection.exec_driver_sql("START TRANSACTION READ ONLY")


def _mysql_rows(raw: Any, sql: str) -> tuple[Any, Iterator[Sequence[Any]]]:
    """Unbuffered (pymysql's SSCursor): rows come as they are read."""
    return _executed(raw.cursor(pymysql.cursors.SSCursor), sql)


_MYSQL_TIMEOUTS = (3024, 1969)  # MySQL's max_execution_time, MariaDB's max_statement_time


def _mysql_timed_out(exc: BaseException) -> bool:
    return bool(exc.args) and exc.args[0] in _MYSQL_TIMEOUTS


# --------------------------------------------------------------------------- SQLite


def _sqlite_engine(url: URL, timeout_s: float) -> Engine:
    """Opened by hand, as a read-only URI: SQLAlchemy's URL would let the file be created."""
    path = url.database or ""
    return create_engine(
        "sqlite+pysqlite://",
        poolclass=NullPool,
        creator=lambda: sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=timeout_s),
    )


def _sqlite_begin(connection: Connection, timeout_s: float) -> None:
    raw: Any = connection.connection.dbapi_connection
    raw.execute("PRAGMA query_only = ON")
    deadline = time.monotonic() + timeout_s
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)


def _sqlite_rows(raw: Any, sql: str) -> tuple[Any, Iterator[Sequence[Any]]]:
    return _executed(raw.cursor(), sql)  # sqlite3 steps through the rows as they are read


def _executed(cursor: Any, sql: str) -> tuple[Any, Iterator[Sequence[Any]]]:
    cursor.execute(sql)
    return cursor, iter(cursor)


def _sqlite_timed_out(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc)


_MYSQL = _Flavor("MySQL", "pymysql", _mysql_engine, _mysql_begin, _mysql_rows, _mysql_timed_out)
_FLAVORS: dict[str, _Flavor] = {
    "postgresql": _Flavor(
        "PostgreSQL",
        "psycopg",
        _postgres_engine,
        _postgres_begin,
        _postgres_rows,
        _postgres_timed_out,
    ),
    "mysql": _MYSQL,
    "mariadb": replace(_MYSQL, label="MariaDB"),
    "sqlite": _Flavor(
        "SQLite", "pysqlite", _sqlite_engine, _sqlite_begin, _sqlite_rows, _sqlite_timed_out
    ),
}
