"""Chatting with an agent in the browser: the answer streams in, renders as Markdown and links
to its run; the session can be renamed and deleted."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect

from tests.chats.support import make_agent
from tests.e2e.support import UI, Account, scripted_model, sign_in
from tests.support.llm_server import ScriptedLLMServer, text

RUN_TIMEOUT = 60_000  # ms: a busy machine, a cold crewai import in the worker
ANSWER = (
    "Tides rise and fall twice a day because the **moon** pulls the oceans, "
    "and the sun adds a smaller pull of its own, so the highest tides come at full moon."
)


async def test_a_chat_streams_the_answer_and_links_to_its_run(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    await make_agent(api, account.actor, model)
    await sign_in(ui, account)
    page = ui.page
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Chat").click()
    await page.get_by_role("button", name="New chat").click()
    dialog = page.get_by_role("dialog", name="New chat")
    await dialog.get_by_label("Talk to").click()
    await page.get_by_role("option", name="Agent: Tide expert").click()
    await dialog.get_by_role("button", name="Start chat").click()
    await expect(page.get_by_role("heading", name="Chat with Tide expert")).to_be_visible()

    llm_server.script(text(ANSWER, chunk_delay=0.4))  # ~13 pieces over about 5 s
    await page.get_by_label("Message").fill("Why are there two tides a day?")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_test_id("chat-message-user")).to_have_text(
        "Why are there two tides a day?"
    )
    answer = page.get_by_test_id("chat-message-assistant")
    # Part of the answer shows while the run is still writing it: it streams.
    await expect(answer).to_contain_text("Tides rise and fall", timeout=RUN_TIMEOUT)
    await expect(answer).to_have_attribute("data-status", "pending")
    await ui.shot("streaming")
    await expect(answer).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT)
    await expect(answer).to_contain_text("the highest tides come at full moon.")
    await expect(answer.locator("strong")).to_have_text("moon")  # rendered as Markdown
    await answer.get_by_role("button", name=re.compile("Tool calls")).click()
    await expect(answer.get_by_test_id("chat-tool-calls")).to_contain_text("No tool was called")
    await ui.shot("answered")

    chats = (await api.get("/api/v1/chats", headers=account.actor.headers)).json()["items"]
    messages = (
        await api.get(f"/api/v1/chats/{chats[0]['id']}/messages", headers=account.actor.headers)
    ).json()["items"]
    execution_id = messages[1]["execution_id"]
    await answer.get_by_role("link", name="Open run").click()
    await expect(page).to_have_url(re.compile(f"/executions/{execution_id}$"))
    await page.go_back()

    await page.get_by_role("button", name="Rename Chat with Tide expert").click()
    rename = page.get_by_role("dialog", name="Rename chat")
    await rename.get_by_label("Title").fill("Tides")
    await rename.get_by_role("button", name="Rename").click()
    await expect(page.get_by_role("heading", name="Tides")).to_be_visible()
    await page.get_by_role("button", name="Delete Tides").click()
    await (
        page.get_by_role("dialog", name="Delete chat").get_by_role("button", name="Delete").click()
    )
    await expect(page.get_by_text("No chats yet")).to_be_visible()
    await expect(page).to_have_url(re.compile("/chats$"))
