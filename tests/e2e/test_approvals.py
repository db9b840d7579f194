"""Human in the loop and flows in the browser: a crew whose task asks for review pauses, the
approval is answered from the inbox and the run finishes; a two-step flow is built on the
canvas, saved and run, its steps lighting up as their crews work."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Locator, Page, expect

from tests.e2e.support import UI, Account, scripted_model, sign_in
from tests.executions.support import create_crew, start, two_step_crew, wait_for
from tests.support.llm_server import ScriptedLLMServer, text

RUN_TIMEOUT = 60_000  # ms: a busy machine, a cold crewai import in the worker


def task_node(page: Page, key: str) -> Locator:
    return page.get_by_test_id(f"node-task-{key}")


def step_node(page: Page, key: str) -> Locator:
    return page.get_by_test_id(f"node-step-{key}")


async def only_execution(api: httpx.AsyncClient, account: Account) -> dict[str, object]:
    response = await api.get("/api/v1/executions", headers=account.actor.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 1, items
    return dict(items[0])


async def test_an_approval_answered_from_the_inbox_lets_the_run_finish(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    crew = two_step_crew(model)
    crew["tasks"][0]["human_input"] = True
    await create_crew(api, account.actor, crew)
    llm_server.script(
        text("Thought: done\nFinal Answer: Tides follow the **moon**."),
        text("Thought: done\nFinal Answer: A brief about tides."),
    )
    await sign_in(ui, account)
    page = ui.page
    await page.get_by_role("link", name="Research brief").click()
    await page.get_by_role("button", name="Run", exact=True).click()
    dialog = page.get_by_role("dialog", name="Run crew")
    await dialog.get_by_label("topic").fill("tides")
    await dialog.get_by_role("button", name="Start run").click()

    # The reviewed task waits; the run panel says so and the badge counts the request.
    await expect(task_node(page, "research")).to_have_attribute(
        "data-state", "waiting", timeout=RUN_TIMEOUT
    )
    await expect(task_node(page, "write")).to_have_attribute("data-state", "queued")
    await expect(page.get_by_test_id("run-waiting")).to_contain_text("research")
    side = page.get_by_role("complementary", name="Side panel")
    await expect(side.get_by_test_id("execution-status")).to_have_text("waiting")
    await expect(page.get_by_test_id("approvals-badge")).to_contain_text("1", timeout=25_000)
    await ui.shot("waiting")

    await page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    await expect(page.get_by_role("heading", name="Approvals")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Research brief")
    await row.get_by_role("button", name=re.compile(r"^Answer")).click()
    approval = page.get_by_role("dialog")
    output = approval.get_by_test_id("approval-output")
    await expect(output).to_contain_text("Tides follow the moon.")
    await expect(output.locator("strong")).to_have_text("moon")  # Markdown
    await ui.shot("approval-dialog")
    await approval.get_by_label("Comment").fill("Good sources")
    await approval.get_by_role("button", name="Approve").click()
    await expect(approval).to_be_hidden()
    await expect(page.get_by_text("Nothing is waiting for an answer.")).to_be_visible()

    execution = await only_execution(api, account)
    done = await wait_for(api, account.actor, str(execution["id"]), within=RUN_TIMEOUT / 1000)
    assert done["status"] == "succeeded", done
    assert done["result"] == "A brief about tides."
    # Approving went on with the next task: the reviewed one was not asked again.
    assert len(llm_server.chat_requests) == 2

    await page.goto(f"{ui.base_url}/executions/{execution['id']}")
    await expect(page.get_by_test_id("execution-status").first).to_have_text("succeeded")
    await page.get_by_role("tab", name="Event log").click()
    log = page.get_by_role("log", name="Event log")
    await expect(log).to_contain_text("Answered: approve")
    await ui.shot("finished")


async def test_a_cancelled_waiting_run_leaves_its_approval_closed(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    crew = two_step_crew(model)
    crew["tasks"][0]["human_input"] = True
    crew_id = await create_crew(api, account.actor, crew)
    llm_server.script(text("Thought: done\nFinal Answer: Tides follow the moon."))
    execution = await start(api, account.actor, crew_id)
    await wait_for(api, account.actor, execution["id"], {"waiting"}, within=RUN_TIMEOUT / 1000)
    cancelled = await api.post(
        f"/api/v1/executions/{execution['id']}/cancel", headers=account.actor.headers
    )
    assert cancelled.status_code < 300, cancelled.text
    await wait_for(api, account.actor, execution["id"], {"cancelled"})

    await sign_in(ui, account)
    page = ui.page
    await page.get_by_role("link", name=re.compile(r"^Approvals")).click()
    await expect(page.get_by_text("Nothing is waiting for an answer.")).to_be_visible()
    await page.get_by_role("tab", name="Answered").click()
    row = page.get_by_role("row").filter(has_text="Research brief")
    await expect(row).to_contain_text("closed (run ended)")
    await row.get_by_role("button", name=re.compile(r"^View")).click()
    approval = page.get_by_role("dialog")
    await expect(approval.get_by_test_id("approval-answer")).to_contain_text(
        "the run ended before anyone answered"
    )
    await expect(approval.get_by_role("button", name="Approve")).to_have_count(0)
    await ui.shot("approval-closed")


async def choose_crew(page: Page, name: str) -> None:
    """Pick the selected crew step's crew in the side panel (an MUI select)."""
    await page.get_by_role("combobox", name="Crew").click()
    await page.get_by_role("option", name=name).click()


async def test_a_two_step_flow_built_on_the_canvas_runs(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    await create_crew(api, account.actor, two_step_crew(model))
    await sign_in(ui, account)
    page = ui.page

    await page.get_by_role("link", name="Flows").click()
    await page.get_by_role("button", name="New flow").click()
    created = page.get_by_role("dialog", name="New flow")
    await created.get_by_label("Name").fill("Brief twice")
    await created.get_by_role("button", name="Create").click()
    await expect(page.get_by_test_id("flow-name")).to_have_text("Brief twice")

    # The flow's input.
    await page.get_by_role("button", name="Add input").click()
    name = page.get_by_label("Input name")
    await name.fill("topic")
    await name.press("Enter")

    # Two crew steps: the second researches what the first wrote.
    await page.get_by_role("button", name="Crew step").click()
    await expect(step_node(page, "crew_1")).to_be_visible()
    await choose_crew(page, "Research brief")
    mapping = page.get_by_label("{topic}")
    await mapping.fill("${inputs.topic}")
    await mapping.press("Tab")
    await page.get_by_role("button", name="Crew step").click()
    await expect(step_node(page, "crew_2")).to_be_visible()
    await choose_crew(page, "Research brief")
    mapping = page.get_by_label("{topic}")
    await mapping.fill("${steps.crew_1.output}")
    await mapping.press("Tab")
    await expect(step_node(page, "crew_2")).to_contain_text("Research brief · latest")

    source = page.locator('.react-flow__node[data-id="crew_1"] .react-flow__handle.source')
    target = page.locator('.react-flow__node[data-id="crew_2"] .react-flow__handle.target')
    await source.drag_to(target)
    await expect(page.locator(".react-flow__edge")).to_have_count(1)
    await ui.shot("flow-built")

    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_label("Version 2")).to_be_visible()
    await expect(page.get_by_test_id("dirty-indicator")).to_be_hidden()
    await expect(step_node(page, "crew_1").get_by_test_id("node-problems")).to_have_count(0)

    llm_server.script(
        text("Thought: done\nFinal Answer: Tides follow the moon."),
        text("Thought: done\nFinal Answer: Brief one."),
        text("Thought: done\nFinal Answer: More on brief one."),
        text("Thought: done\nFinal Answer: Brief two.", delay=2),
    )
    await page.get_by_role("button", name="Run", exact=True).click()
    run = page.get_by_role("dialog", name="Run flow")
    await run.get_by_label("topic").fill("tides")
    await run.get_by_role("button", name="Start run").click()
    await expect(run).to_be_hidden()

    await expect(step_node(page, "crew_1")).to_have_attribute(
        "data-state", "done", timeout=RUN_TIMEOUT
    )
    await expect(step_node(page, "crew_2")).to_have_attribute(
        "data-state", "done", timeout=RUN_TIMEOUT
    )
    side = page.get_by_role("complementary", name="Side panel")
    await expect(side.get_by_test_id("execution-status")).to_have_text("succeeded")
    await expect(page.get_by_test_id("run-result")).to_contain_text("Brief two.")
    await ui.shot("flow-succeeded")

    execution = await only_execution(api, account)
    assert execution["flow_id"] is not None
    assert execution["crew_name"] == "Brief twice"
    # The second crew's research was given the first crew's result as its topic.
    assert "Brief one." in str(llm_server.chat_requests[2].body)
