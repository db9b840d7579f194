"""Scratch databases for the `sql_query` tool to read: a small shop, on SQLite and PostgreSQL.

Registered as a plugin by tests/conftest.py. The PostgreSQL one is a database of its own on
the suite's server, made for a test module and dropped after it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.database import libpq_url, throwaway_database

SHOP = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, "
    "customer_id INTEGER NOT NULL REFERENCES customers (id), total NUMERIC(10, 2), note TEXT)",
    "CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100",
    "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')",
    "INSERT INTO orders VALUES (1, 1, 50.00, 'first'), (2, 1, 150.00, NULL), "
    "(3, 2, 250.00, 'rush 50%'), (4, 2, 20.00, NULL), (5, 1, 99.00, NULL)",
)
ORDERS = 5
# A statement each database takes far longer than a test's time limit to finish.
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(30)",
}


def shop_sqlite(folder: Path) -> str:
    """A SQLite shop file in `folder`; its URL."""
    path = folder / "shop.db"
    with sqlite3.connect(path) as connection:
        for statement in SHOP:
            connection.execute(statement)
    connection.close()
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_shop(tmp_path: Path) -> str:
    return shop_sqlite(tmp_path)


@pytest.fixture(scope="module")
def postgresql_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Shared by a module's tests (creating a database takes seconds): they only read it."""
    with throwaway_database("postgresql", tmp_path_factory.mktemp("shop")) as url:
        with psycopg.connect(libpq_url(url), autocommit=True) as connection:
            for statement in SHOP:
                connection.execute(statement)
        yield make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest) -> str:
    """The shop's URL, once on each database."""
    url: str = request.getfixturevalue(f"{request.param}_shop")
    return url


def order_count(url: str) -> int:
    """Read without Kasal: what the database really holds."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database or "") as connection:
            count: int = connection.execute("SELECT count(*) FROM orders").fetchone()[0]
        connection.close()
        return count
    with psycopg.connect(libpq_url(url)) as pg:
        row = pg.execute("SELECT count(*) FROM orders").fetchone()
        assert row is not None
        return int(row[0])
