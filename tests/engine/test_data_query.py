"""`data_query`: DuckDB over the run folder's CSV, Parquet and JSON files, and nothing else."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from kasal.engine.tools.base import ToolError
from kasal.engine.tools.catalog import DataQueryConfig
from kasal.engine.tools.data import DataQueryTool


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    (folder / "attachments").mkdir(parents=True)
    (folder / "attachments" / "sales.csv").write_text("region,amount\nNorth,120\nSouth,80\n")
    (folder / "events.json").write_text('[{"kind": "a", "n": 1}, {"kind": "b", "n": 2}]')
    (folder / "lines.jsonl").write_text('{"k": 1}\n{"k": 2}\n{"k": 3}\n')
    numbers = duckdb.sql("SELECT range AS id, range * 2 AS double FROM range(50)")
    numbers.write_parquet(str(folder / "numbers.parquet"))
    (folder / ".crewai").mkdir()
    (folder / ".crewai" / "hidden.csv").write_text("a\n1\n")
    return folder


def query(work: Path, sql: str, **config: float) -> str:
    result: str = DataQueryTool(work_dir=work, config=DataQueryConfig(**config)).run(sql=sql)
    return result


def test_files_are_views_named_by_their_path(work: Path) -> None:
    sql = 'SELECT region, amount FROM "attachments/sales.csv" ORDER BY amount DESC'
    assert query(work, sql) == (
        "region | amount\n-------|-------\nNorth | 120\nSouth | 80\n(2 rows)"
    )
    joined = (
        'SELECT count(*) AS n, sum(double) AS total FROM "numbers.parquet" '
        'WHERE id < (SELECT max(k) FROM "lines.jsonl")'
    )
    assert query(work, joined).splitlines()[2] == "3 | 6"
    assert query(work, 'SELECT kind FROM "events.json" WHERE n = 2').splitlines()[2] == "b"


def test_rows_are_limited(work: Path) -> None:
    answer = query(work, 'SELECT id FROM "numbers.parquet" ORDER BY id', max_rows=3)
    assert answer.splitlines()[2:] == [
        "0",
        "1",
        "2",
        "[more rows not shown: the limit is 3 (max_rows)]",
    ]


def test_a_long_query_is_interrupted(work: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"longer than 0.5 s and was stopped"):
        query(work, "SELECT count(*) FROM range(100000000000)", timeout_s=0.5)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "file system operations are disabled"),
        ("SELECT * FROM read_text('/etc/passwd')", "file system operations are disabled"),
        ('SELECT * FROM ".crewai/hidden.csv"', "file system operations are disabled"),
        ("ATTACH '/srv/data/other.db'", "read-only"),
        ("COPY (SELECT 1) TO 'attachments/sales.csv'", "read-only"),
        ("CREATE TABLE t AS SELECT 1", "read-only"),
        ("INSTALL httpfs", "read-only"),
        ("SET enable_external_access = true", "read-only"),
        ("SELECT 1; SELECT 2", "exactly one SQL statement"),
        ("SELEC 1", "does not parse"),
    ],
)
def test_only_reads_of_the_views_are_allowed(work: Path, sql: str, message: str) -> None:
    before = (work / "attachments" / "sales.csv").read_text()
    with pytest.raises(ToolError, match=message):
        query(work, sql)
    assert (work / "attachments" / "sales.csv").read_text() == before


def test_a_failed_query_names_the_views_and_no_server_path(work: Path) -> None:
    with pytest.raises(ToolError) as caught:
        query(work, 'SELECT * FROM "missing.csv"')
    message = str(caught.value)
    assert '"attachments/sales.csv"' in message
    assert '"numbers.parquet"' in message
    assert str(work) not in message


def test_links_and_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("s\nsecret\n")
    work = tmp_path / "run"
    work.mkdir()
    with pytest.raises(ToolError, match="holds no CSV, Parquet or JSON file"):
        query(work, "SELECT 1")
    (work / "link.csv").symlink_to(tmp_path / "secret.csv")
    (work / "own.csv").write_text("a\n1\n")
    with pytest.raises(ToolError, match="file system operations are disabled"):
        query(work, 'SELECT * FROM "link.csv"')
