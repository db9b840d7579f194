"""Running a crew from the editor and watching it: nodes change state live, the result shows,
a run can be cancelled, and a reload in the middle picks the log up where the server has it."""

from __future__ import annotations

import httpx
from playwright.async_api import Locator, Page, expect

from tests.e2e.support import UI, Account, all_events, log_seqs, scripted_model, sign_in
from tests.executions.support import create_crew, two_step_crew, wait_for
from tests.support.llm_server import ScriptedLLMServer, text

RUN_TIMEOUT = 60_000  # ms: a busy machine, a cold crewai import in the worker


def node(page: Page, kind: str, key: str) -> Locator:
    return page.get_by_test_id(f"node-{kind}-{key}")


async def open_crew(
    ui: UI, account: Account, api: httpx.AsyncClient, llm: ScriptedLLMServer
) -> str:
    """Sign in, create the two-step crew on the scripted model, and open it from the list."""
    model = await scripted_model(api, account, llm)
    crew_id = await create_crew(api, account.actor, two_step_crew(model))
    await sign_in(ui, account)
    await ui.page.get_by_role("link", name="Research brief").click()
    await expect(ui.page.get_by_test_id("crew-name")).to_have_text("Research brief")
    return crew_id


async def start_run(ui: UI, topic: str, *, shot: bool = False) -> None:
    page = ui.page
    await page.get_by_role("button", name="Run", exact=True).click()
    dialog = page.get_by_role("dialog", name="Run crew")
    await dialog.get_by_label("topic").fill(topic)
    if shot:
        await ui.shot("run-dialog")
    await dialog.get_by_role("button", name="Start run").click()
    await expect(dialog).to_be_hidden()


async def latest_execution(api: httpx.AsyncClient, account: Account) -> str:
    response = await api.get("/api/v1/executions", headers=account.actor.headers)
    items = response.json()["items"]
    assert len(items) == 1, items
    return str(items[0]["id"])


async def test_a_run_shows_each_node_finish_live_then_the_result(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    await open_crew(ui, account, api, llm_server)
    page = ui.page
    llm_server.script(
        text("Thought: done\nFinal Answer: Tides follow the moon."),
        text("Thought: done\nFinal Answer: A brief about **tides**.", delay=3),
    )
    await start_run(ui, "tides", shot=True)

    status = page.get_by_role("complementary", name="Side panel").get_by_test_id("execution-status")
    await expect(node(page, "task", "research")).to_have_attribute(
        "data-state", "done", timeout=RUN_TIMEOUT
    )
    # The second task is still thinking (its answer takes 3 s) while the first shows done.
    await expect(node(page, "task", "write")).to_have_attribute("data-state", "running")
    await expect(node(page, "agent", "writer")).to_have_attribute("data-state", "running")
    await expect(status).to_have_text("running")
    await ui.shot("running")

    await expect(node(page, "task", "write")).to_have_attribute(
        "data-state", "done", timeout=RUN_TIMEOUT
    )
    for kind, key in (("agent", "researcher"), ("agent", "writer"), ("task", "research")):
        await expect(node(page, kind, key)).to_have_attribute("data-state", "done")
    await expect(status).to_have_text("succeeded")
    result = page.get_by_test_id("run-result")
    await expect(result).to_contain_text("A brief about tides.")
    await expect(result.locator("strong").first).to_have_text("tides")  # rendered as Markdown
    await expect(result.get_by_test_id("task-output-research")).to_contain_text(
        "Tides follow the moon."
    )
    await expect(page.get_by_test_id("run-tokens")).not_to_contain_text("Tokens: 0 ")
    await ui.shot("succeeded")

    execution_id = await latest_execution(api, account)
    done = await wait_for(api, account.actor, execution_id)
    assert done["status"] == "succeeded"
    assert done["result"] == "A brief about **tides**."
    assert done["inputs"] == {"topic": "tides"}
    tokens = page.get_by_test_id("run-tokens").locator("strong")
    await expect(tokens).to_have_text(f"{done['usage']['total_tokens']:,}")


async def test_a_run_on_a_slow_model_is_cancelled_from_the_editor(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    await open_crew(ui, account, api, llm_server)
    page = ui.page
    llm_server.delay = 30
    await start_run(ui, "tides")

    await expect(node(page, "task", "research")).to_have_attribute(
        "data-state", "running", timeout=RUN_TIMEOUT
    )
    await llm_server.wait_for_chat_requests(1)
    await ui.shot("slow")
    await page.get_by_role("button", name="Cancel run").click()

    status = page.get_by_role("complementary", name="Side panel").get_by_test_id("execution-status")
    await expect(status).to_have_text("cancelled", timeout=20_000)
    await expect(node(page, "task", "research")).to_have_attribute("data-state", "failed")
    await expect(node(page, "task", "write")).to_have_attribute("data-state", "queued")
    await expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    await expect(page.get_by_test_id("run-result")).to_contain_text("the run was cancelled")
    await ui.shot("cancelled")
    await page.get_by_role("tab", name="Event log").click()
    log = page.get_by_role("log", name="Event log")
    await expect(log.locator("[data-kind=execution]").last).to_contain_text("Execution cancelled")
    await expect(log.get_by_text("Cancelling…")).to_be_visible()

    execution_id = await latest_execution(api, account)
    done = await wait_for(api, account.actor, execution_id, within=10)
    assert done["status"] == "cancelled"
    assert len(llm_server.chat_requests) == 1  # the slow call was the last one


async def test_a_reload_in_the_middle_of_a_run_resumes_the_log_without_gaps_or_repeats(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    crew_id = await open_crew(ui, account, api, llm_server)
    page = ui.page
    llm_server.script(
        text("Thought: done\nFinal Answer: Tides follow the moon.", delay=2),
        text("Thought: done\nFinal Answer: A brief about tides.", delay=6),
    )
    await start_run(ui, "tides")
    log = page.get_by_role("log", name="Event log")
    await expect(log.locator("[data-kind=task]").first).to_be_visible(timeout=RUN_TIMEOUT)
    before = await _seqs(page)
    assert before[0] == 1
    assert before == sorted(set(before)), before
    await ui.shot("before-reload")

    await page.reload()
    await expect(page).to_have_url(f"{ui.base_url}/crews/{crew_id}")
    status = page.get_by_role("complementary", name="Side panel").get_by_test_id("execution-status")
    await expect(status).to_have_text("running", timeout=RUN_TIMEOUT)
    await expect(log.locator("[data-seq]").first).to_be_visible()
    await expect(page.get_by_test_id("stream-mode")).to_have_text("live")
    await ui.shot("after-reload")
    await expect(status).to_have_text("succeeded", timeout=RUN_TIMEOUT)

    await page.get_by_role("tab", name="Event log").click()
    await expect(log.locator("[data-seq]").last).to_contain_text("Execution succeeded")
    shown = await _seqs(page)
    events = await all_events(api, account, await latest_execution(api, account))
    assert events[-1]["type"] == "execution.succeeded"
    assert shown == log_seqs(events)  # every event once, in order: no gap, no repeat
    assert set(before[:-1]) <= set(shown)  # (the last line may have been an answer streaming in)
    assert len(shown) > len(before)
    await ui.shot("resumed")


async def _seqs(page: Page) -> list[int]:
    values = (
        await page.get_by_role("log", name="Event log")
        .locator("[data-seq]")
        .evaluate_all("lines => lines.map(line => Number(line.dataset.seq))")
    )
    return [int(v) for v in values]
