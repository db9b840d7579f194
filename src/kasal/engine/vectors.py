"""Where memory and knowledge keep their vectors: one small interface, one embedded backend.

A `VectorStore` holds records (text, vector, a `source` to filter and delete by, and JSON
metadata) and answers nearest-neighbour searches with cosine scores. `LanceStore`, the
default, is an embedded LanceDB table in a folder of the data dir: no server, safe for the
API process and worker processes to open at once (LanceDB commits are atomic; every
operation opens the latest version). Another backend (Databricks Vector Search) implements
the same protocol.

Nothing here imports crewai: the API lists and searches stores, the engine fills them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    import lancedb
    import pyarrow
    from lancedb.query import LanceVectorQueryBuilder

TABLE = "records"


@dataclass(frozen=True)
class Record:
    """One stored text. `source` groups records (a file, a memory scope) for filters."""

    id: str
    text: str
    vector: Sequence[float]
    source: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Hit:
    record: Record
    score: float  # cosine similarity, 1.0 = same direction


@dataclass(frozen=True)
class Where:
    """A filter on `source`: equal to one of `sources`, or starting with `prefix`."""

    sources: Sequence[str] = ()
    prefix: str | None = None


class VectorStore(Protocol):
    def add(self, records: Sequence[Record]) -> None: ...

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[Hit]: ...

    def list(self, where: Where | None = None, limit: int = 50, offset: int = 0) -> list[Record]:
        """Newest first."""
        ...

    def get(self, record_id: str) -> Record | None: ...

    def delete(self, *, ids: Sequence[str] = (), where: Where | None = None) -> int:
        """Removes the records named by `ids` or matched by `where`; answers how many."""
        ...

    def count(self, where: Where | None = None) -> int: ...


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _filter(where: Where | None, ids: Sequence[str] = ()) -> str | None:
    clauses: list[str] = []
    if ids:
        clauses.append(f"id IN ({', '.join(_quote(i) for i in ids)})")
    if where is not None and where.sources:
        clauses.append(f"source IN ({', '.join(_quote(s) for s in where.sources)})")
    if where is not None and where.prefix is not None:
        escaped = where.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(f"source LIKE {_quote(escaped + '%')} ESCAPE '\\'")
    return " AND ".join(clauses) or None


class LanceStore:
    """A `VectorStore` in one LanceDB folder; the table is created by the first `add`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _table(self) -> lancedb.table.Table | None:
        import lancedb

        if not self.folder.is_dir():
            return None
        try:
            return lancedb.connect(str(self.folder)).open_table(TABLE)
        except ValueError:  # LanceDB's "table not found"
            return None

    def add(self, records: Sequence[Record]) -> None:
        if not records:
            return
        import lancedb
        import pyarrow as pa

        rows = pa.Table.from_pylist(
            [
                {
                    "id": r.id,
                    "text": r.text,
                    "source": r.source,
                    "meta": json.dumps(dict(r.meta), default=str),
                    "created_at": r.created_at.astimezone(UTC),
                    "vector": [float(x) for x in r.vector],
                }
                for r in records
            ],
            schema=_schema(len(records[0].vector)),
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        table = self._table()
        if table is None:
            try:
                lancedb.connect(str(self.folder)).create_table(TABLE, rows)
                return
            except ValueError:  # another process created it first: add to theirs
                table = self._table()
                if table is None:
                    raise
        table.add(rows)

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[Hit]:
        table = self._table()
        if table is None or k <= 0:
            return []
        query = cast("LanceVectorQueryBuilder", table.search(list(vector)))
        query = query.distance_type("cosine").limit(k)
        condition = _filter(where)
        if condition:
            query = query.where(condition, prefilter=True)
        return [
            Hit(_record(row), 1.0 - float(row["_distance"])) for row in query.to_arrow().to_pylist()
        ]

    def list(self, where: Where | None = None, limit: int = 50, offset: int = 0) -> list[Record]:
        table = self._table()
        if table is None:
            return []
        rows = _scan(table, _filter(where))
        rows.sort(key=lambda row: row["created_at"], reverse=True)
        return [_record(row) for row in rows[offset : offset + limit]]

    def get(self, record_id: str) -> Record | None:
        table = self._table()
        if table is None:
            return None
        rows = _scan(table, _filter(None, [record_id]))
        return _record(rows[0]) if rows else None

    def delete(self, *, ids: Sequence[str] = (), where: Where | None = None) -> int:
        condition = _filter(where, ids)
        table = self._table()
        if table is None or condition is None:
            return 0
        before = table.count_rows()
        table.delete(condition)
        return before - table.count_rows()

    def count(self, where: Where | None = None) -> int:
        table = self._table()
        return 0 if table is None else table.count_rows(_filter(where))


def _scan(table: lancedb.table.Table, condition: str | None) -> list[dict[str, Any]]:
    total = table.count_rows(condition)
    if total == 0:
        return []
    query = table.search().limit(total)
    if condition:
        query = query.where(condition)
    rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
    return rows


def _schema(dimensions: int) -> pyarrow.Schema:
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("id", pa.string()),
            pa.field("text", pa.string()),
            pa.field("source", pa.string()),
            pa.field("meta", pa.string()),
            pa.field("created_at", pa.timestamp("us", tz="UTC")),
            pa.field("vector", pa.list_(pa.float32(), dimensions)),
        ]
    )


def _record(row: Mapping[str, Any]) -> Record:
    return Record(
        id=row["id"],
        text=row["text"],
        vector=row["vector"],
        source=row["source"],
        meta=json.loads(row["meta"]),
        created_at=row["created_at"],
    )
