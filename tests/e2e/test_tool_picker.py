"""Giving an agent a tool on the canvas: search the picker, set the tool's config in the form
its schema renders, save, and find it again after a reload."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.e2e.support import UI, Account, scripted_model, sign_in
from tests.executions.support import create_crew, two_step_crew
from tests.support.llm_server import ScriptedLLMServer


async def open_agent(page: Page, key: str) -> None:
    await page.get_by_test_id(f"node-agent-{key}").click()
    await expect(page.get_by_role("form", name="Agent")).to_be_visible()


async def test_a_tool_found_by_search_is_configured_saved_and_kept(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    crew_id = await create_crew(api, account.actor, two_step_crew(model))
    await sign_in(ui, account)
    page = ui.page
    await page.get_by_role("link", name="Research brief").click()
    await open_agent(page, "researcher")
    form = page.get_by_role("form", name="Agent")

    await form.get_by_role("combobox", name="Add a tool").fill("read file")
    listbox = page.get_by_role("listbox")
    option = listbox.get_by_test_id("tool-option-file_read")
    await expect(option).to_be_visible()
    await expect(listbox.get_by_test_id("tool-option-http_request")).to_have_count(0)
    await expect(listbox.get_by_text("Files", exact=True)).to_be_visible()  # its category
    await ui.shot("picker-search")
    await option.click()

    card = form.get_by_test_id("tool-file_read")
    limit = card.get_by_role("textbox", name="Read file Max Bytes")
    await limit.fill("5000")
    await limit.press("Enter")
    await expect(page.get_by_test_id("node-agent-researcher")).to_contain_text("file_read")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_test_id("dirty-indicator")).to_be_hidden()

    response = await api.get(f"/api/v1/crews/{crew_id}", headers=account.actor.headers)
    researcher = response.json()["agents"][0]
    assert researcher["tools"] == [{"tool_id": "file_read", "config": {"max_bytes": 5000}}]

    await page.reload()
    await open_agent(page, "researcher")
    kept = page.get_by_test_id("tool-file_read").get_by_role("textbox", name="Read file Max Bytes")
    await expect(kept).to_have_value("5000")
    await ui.shot("tool-configured")
