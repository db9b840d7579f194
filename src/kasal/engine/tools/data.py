"""`data_query`: read-only SQL over the data files of the run folder, with DuckDB.

Each query gets a fresh in-memory database. Every CSV, Parquet and JSON file of the run
folder (hidden folders and links left out, each path checked by the folder guard) becomes a
view named by its relative path. Then the database is shut: `allowed_paths` names exactly
those files, external access is switched off (no other file, no URL, no ATTACH, no
extension installed or loaded) and the configuration is locked, so the query cannot undo it.
`allowed_paths` would still let a `COPY ... TO` overwrite one of the files, so only a single
SELECT (or EXPLAIN) statement is run, as DuckDB's own parser classifies it.

Limits: `max_rows` rows are fetched and shown, a query running past `timeout_s` is
interrupted, DuckDB may use `memory_mb` and one thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
from crewai.tools import BaseTool
from pydantic import BaseModel, Field

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import CATALOG, DataQueryConfig
from kasal.engine.tools.files import resolve_inside

_SCANS = {
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".parquet": "read_parquet",
    ".json": "read_json_auto",
    ".jsonl": "read_ndjson_auto",
    ".ndjson": "read_ndjson_auto",
}
_READ_ONLY = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
MAX_FILES = 500


def data_files(root: Path) -> dict[str, Path]:
    """Relative path → real path of the data files under `root`, the engine's hidden
    stores and links excluded, at most MAX_FILES of them."""
    found: dict[str, Path] = {}
    for top, folders, names in os.walk(root):  # links to folders are not entered
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(names):
            path = Path(top) / name
            if name.startswith(".") or path.suffix.lower() not in _SCANS or path.is_symlink():
                continue
            relative = path.relative_to(root).as_posix()
            found[relative] = resolve_inside(root, relative)
            if len(found) == MAX_FILES:
                return found
    return found


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _sealed(files: dict[str, Path], config: DataQueryConfig) -> duckdb.DuckDBPyConnection:
    """An in-memory database that sees `files` as views and nothing else of the machine."""
    connection = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": f"{config.memory_mb}MB",
            "threads": 1,
        },
    )
    paths = ", ".join(_literal(str(real)) for real in files.values())
    connection.execute(f"SET allowed_paths = [{paths}]")
    for name, real in files.items():
        scan = _SCANS[real.suffix.lower()]
        source = f"{scan}({_literal(str(real))})"  # quoted: a file name is not SQL
        view = f"CREATE VIEW {_identifier(name)} AS SELECT * FROM {source}"  # noqa: S608
        with contextlib.suppress(duckdb.Error):  # a damaged file: its view is missing, not all
            connection.execute(view)
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def _single_read(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as exc:
        raise ToolError(f"The SQL does not parse: {exc}") from None
    if len(statements) != 1:
        raise ToolError("Give exactly one SQL statement.")
    if statements[0].type not in _READ_ONLY:
        raise ToolError("data_query is read-only: only a SELECT query is run.")
    return sql


def _views(connection: duckdb.DuckDBPyConnection) -> str:
    listed = connection.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
    return "The views are: " + ", ".join(_identifier(row[0]) for row in listed.fetchall())


def _cell(value: Any, width: int) -> str:
    text = "NULL" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int) -> Iterator[str]:
    """A compact text table: a header, a rule, one line per row, cells separated by |."""
    yield " | ".join(columns)
    yield "-|-".join("-" * len(c) for c in columns)
    for row in rows:
        yield " | ".join(_cell(value, width) for value in row)


class DataQueryArgs(BaseModel):
    sql: str = Field(
        description='One SELECT query; the files are views named by path, e.g. "data/sales.csv".'
    )


class DataQueryTool(BaseTool):
    name: str = "data_query"
    description: str = CATALOG["data_query"].description
    args_schema: type[BaseModel] = DataQueryArgs
    work_dir: Path
    config: DataQueryConfig = Field(default_factory=DataQueryConfig)

    def _run(self, sql: str) -> str:
        files = data_files(self.work_dir)
        if not files:
            raise ToolError("The working directory holds no CSV, Parquet or JSON file.")
        connection = _sealed(files, self.config)
        timer = threading.Timer(self.config.timeout_s, connection.interrupt)
        try:
            query = _single_read(connection, sql)
            timer.start()
            result = connection.execute(query)
            rows = result.fetchmany(self.config.max_rows + 1)
            columns = [column[0] for column in result.description or []]
        except duckdb.InterruptException:
            raise ToolError(
                f"The query ran longer than {self.config.timeout_s:g} s and was stopped."
            ) from None
        except duckdb.Error as exc:
            message = str(exc).replace(f"{self.work_dir.resolve()}/", "")
            raise ToolError(f"The query failed: {message}\n{_views(connection)}") from None
        finally:
            timer.cancel()
            connection.close()
        return self._answer(columns, rows)

    def _answer(self, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
        limit = self.config.max_rows
        lines = list(table(columns, rows[:limit], self.config.max_cell_chars))
        if len(rows) > limit:
            lines.append(f"[more rows not shown: the limit is {limit} (max_rows)]")
        else:
            lines.append(f"({len(rows)} rows)")
        return "\n".join(lines)
