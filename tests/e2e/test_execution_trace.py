"""Finding a finished run in the executions list and reading its timeline."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.e2e.support import UI, Account, scripted_model, sign_in
from tests.executions.support import create_crew, start, two_step_crew, wait_for
from tests.support.llm_server import ScriptedLLMServer, text


async def test_an_execution_opens_from_the_list_on_its_trace_timeline(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    crew_id = await create_crew(api, account.actor, two_step_crew(model))
    llm_server.script(
        text("Thought: done\nFinal Answer: Tides follow the moon."),
        text("Thought: done\nFinal Answer: A brief about tides."),
    )
    execution = await start(api, account.actor, crew_id, {"topic": "tides"})
    done = await wait_for(api, account.actor, execution["id"])
    assert done["status"] == "succeeded"
    trace = (
        await api.get(f"/api/v1/executions/{execution['id']}/trace", headers=account.actor.headers)
    ).json()

    await sign_in(ui, account)
    page = ui.page
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Executions").click()
    row = page.get_by_test_id(f"execution-row-{execution['id']}")
    await expect(row.get_by_test_id("execution-status")).to_have_text("succeeded")
    await expect(row).to_contain_text("Research brief")
    await ui.shot("list")
    await row.get_by_role("link", name="Research brief").click()

    await expect(page).to_have_url(f"{ui.base_url}/executions/{execution['id']}")
    await expect(page.get_by_role("tab", name="Timeline")).to_have_attribute(
        "aria-selected", "true"
    )
    timeline = page.get_by_role("table", name="Trace timeline")
    await expect(timeline).to_be_visible()
    spans = timeline.locator("[role=row][data-kind]")
    await expect(spans).to_have_count(len(trace["spans"]))
    await expect(timeline.locator("[data-kind=crew]")).to_have_count(1)
    await expect(timeline.locator("[data-kind=task]")).to_have_count(2)
    await expect(timeline.locator("[data-kind=agent]").first).to_be_visible()
    await expect(timeline.locator("[data-kind=llm]").first).to_be_visible()
    for kind in ("crew", "task", "llm"):
        bar = timeline.locator(f"[data-kind={kind}]").first.get_by_label(f"{kind} ·")
        box = await bar.bounding_box()
        assert box is not None
        assert box["width"] > 0
    await expect(timeline.locator("[data-kind=task]").first).to_contain_text("Research")
    await ui.shot("timeline")

    await page.get_by_role("tab", name="Result").click()
    await expect(page.get_by_test_id("run-result")).to_contain_text("A brief about tides.")
    await page.get_by_role("tab", name="Inputs").click()
    await expect(page.get_by_text("tides", exact=True)).to_be_visible()
