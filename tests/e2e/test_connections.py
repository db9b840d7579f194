"""A database connection added in Settings is offered to a sql_query tool on the canvas: the
person picks it by name instead of typing it, and the crew saves with it."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
from playwright.async_api import expect

from tests.e2e.support import UI, Account, scripted_model, sign_in
from tests.e2e.test_tool_picker import open_agent
from tests.executions.support import create_crew, two_step_crew
from tests.support.llm_server import ScriptedLLMServer


def shop_database(folder: Path) -> Path:
    """A real SQLite file outside Kasal's data directory, with one table."""
    path = folder / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    return path


async def test_a_connection_added_in_settings_is_offered_to_sql_query(
    ui: UI,
    account: Account,
    api: httpx.AsyncClient,
    llm_server: ScriptedLLMServer,
    tmp_path: Path,
) -> None:
    database = shop_database(tmp_path)
    crew_id = await create_crew(
        api, account.actor, two_step_crew(await scripted_model(api, account, llm_server))
    )
    await sign_in(ui, account)
    page = ui.page

    await ui.goto("/settings/connections")
    await page.get_by_role("button", name="Add connection").click()
    dialog = page.get_by_role("dialog", name="Add a database connection")
    await dialog.get_by_role("textbox", name="Name").fill("shop")
    await dialog.get_by_role("textbox", name="URL").fill(f"sqlite:///{database}")
    await dialog.get_by_role("button", name="Add connection").click()
    row = page.get_by_test_id("connection-row-shop")
    await expect(row).to_contain_text(f"sqlite:///{database}")
    await row.get_by_role("button", name="Test shop").click()
    await expect(row.get_by_role("status")).to_contain_text("Connected: SQLite")
    await ui.shot("connection-tested")

    await ui.goto(f"/crews/{crew_id}")
    await open_agent(page, "researcher")
    form = page.get_by_role("form", name="Agent")
    await form.get_by_role("combobox", name="Add a tool").fill("sql query")
    await page.get_by_role("listbox").get_by_test_id("tool-option-sql_query").click()
    card = form.get_by_test_id("tool-sql_query")
    await card.get_by_role("combobox", name=re.compile("^Connection")).click()
    await page.get_by_role("listbox").get_by_role("option", name="shop").click()
    await expect(card.get_by_role("combobox", name=re.compile("^Connection"))).to_have_text("shop")
    await ui.shot("sql-query-connection")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_test_id("dirty-indicator")).to_be_hidden()

    response = await api.get(f"/api/v1/crews/{crew_id}", headers=account.actor.headers)
    (use,) = response.json()["agents"][0]["tools"]
    assert use["tool_id"] == "sql_query"
    assert use["config"]["connection"] == "shop"
    assert not [p for p in response.json()["problems"] if p["code"] == "unknown_connection"]
