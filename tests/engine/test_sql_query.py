"""`sql_query` against real databases: the database refuses writes, stops slow statements,
and the rows an agent sees are capped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crewai.tools import BaseTool
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from kasal.engine.spec import CrewSpec, DatabaseConnection, RunRequest, ToolRef
from kasal.engine.tools.base import ToolContext, ToolError
from kasal.engine.tools.databases import CELL_CHARS, TABLE_CHARS, text_table
from kasal.engine.tools.factory import build_tools
from tests.support.scratch import ORDERS, SLOW, order_count


def _tool(url: str, work_dir: Path, **config: Any) -> BaseTool:
    connection = DatabaseConnection(name="shop", url=SecretStr(url), description="Orders")
    request = RunRequest(
        execution_id="e",
        crew=CrewSpec(name="c", agents=[], tasks=[]),
        work_dir=str(work_dir),
        connections={"shop": connection},
    )
    ref = ToolRef(tool_id="sql_query", config={"connection": "shop", **config})
    [tool] = build_tools([ref], ToolContext(request, work_dir))
    return tool


def _backend(url: str) -> str:
    return make_url(url).get_backend_name()


def test_a_query_answers_a_text_table(shop: str, tmp_path: Path) -> None:
    tool = _tool(shop, tmp_path)
    answer = tool.run(sql="SELECT id, note FROM orders WHERE note LIKE '%50%' ORDER BY id")
    assert answer.splitlines() == ["id | note", "-- | ----", "3 | rush 50%", "(1 row)"]
    assert "NULL" in tool.run(sql="SELECT note FROM orders WHERE id = 2")
    label = "SQLite" if _backend(shop) == "sqlite" else "PostgreSQL"
    assert f"{label} database 'shop' (Orders)" in tool.description


def test_the_row_limit_cuts_and_says_so(shop: str, tmp_path: Path) -> None:
    answer = _tool(shop, tmp_path, max_rows=2).run(sql="SELECT id FROM orders ORDER BY id")
    lines = answer.splitlines()
    assert lines[2:4] == ["1", "2"]
    assert "Only the first 2 rows are shown; there are more" in lines[4]
    assert len(lines) == 5


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO orders VALUES (9, 1, 1.00, 'new')",
        "UPDATE orders SET total = 0",
        "DELETE FROM orders",
        "DROP TABLE orders",
        "SELECT 1; DELETE FROM orders",
        "COMMIT; DELETE FROM orders",
    ],
)
def test_the_database_refuses_every_write(shop: str, tmp_path: Path, sql: str) -> None:
    with pytest.raises(ToolError, match="The database refused the statement"):
        _tool(shop, tmp_path)._run(sql=sql)
    assert order_count(shop) == ORDERS


def test_a_slow_statement_is_stopped(shop: str, tmp_path: Path) -> None:
    tool = _tool(shop, tmp_path, timeout_s=0.5)
    with pytest.raises(ToolError, match=r"took longer than 0\.5 s and was stopped"):
        tool._run(sql=SLOW[_backend(shop)])
    assert "(1 row)" in tool._run(sql="SELECT 1 AS one")  # the next call works


def test_list_and_describe_tables(shop: str, tmp_path: Path) -> None:
    tool = _tool(shop, tmp_path)
    listed = tool._run(mode="list_tables")
    assert listed.splitlines() == ["Tables: customers, orders", "Views: big_orders"]
    described = tool._run(mode="describe_table", table="orders")
    id_line = described.splitlines()[2]
    assert id_line.startswith("id | INTEGER |")
    assert id_line.endswith("| yes")  # the primary key
    assert "customer_id | INTEGER | no" in described
    assert "Foreign key (customer_id) references customers (id)" in described
    with pytest.raises(ToolError, match="no table 'nothing'"):
        tool._run(mode="describe_table", table="nothing")


def test_modes_are_limited_by_the_config(sqlite_shop: str, tmp_path: Path) -> None:
    tool = _tool(sqlite_shop, tmp_path, modes=["list_tables"])
    with pytest.raises(
        ToolError, match="mode 'query' is not allowed here; use one of: list_tables"
    ):
        tool._run(sql="SELECT 1")
    with pytest.raises(ToolError, match="Give `table`"):
        _tool(sqlite_shop, tmp_path)._run(mode="describe_table")


def test_a_sqlite_file_is_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(ToolError, match="Cannot connect to the database"):
        _tool(f"sqlite:///{missing}", tmp_path)._run(sql="SELECT 1")
    assert not missing.exists()


def test_a_failed_connection_never_shows_the_password(tmp_path: Path) -> None:
    url = "postgresql://postgres:Sup3r-S3cret@127.0.0.1:1/shop"  # nothing listens on port 1
    with pytest.raises(ToolError, match="Cannot connect to the database") as raised:
        _tool(url, tmp_path, timeout_s=2)._run(sql="SELECT 1")
    assert "Sup3r-S3cret" not in str(raised.value)


def test_long_values_and_wide_results_are_cut() -> None:
    table = text_table(["doc", "blob"], [("word " * 100, b"\x00" * 12)])
    doc, blob = table.splitlines()[2].split(" | ")
    assert len(doc) == CELL_CHARS
    assert doc.endswith("…")
    assert blob == "<12 bytes>"
    wide = text_table(["doc"], [("x" * CELL_CHARS,)] * (TABLE_CHARS // CELL_CHARS + 10))
    assert "rows are shown; there are more" in wide.splitlines()[-1]
    assert len(wide) < TABLE_CHARS + 500
