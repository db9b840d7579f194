"""Building a crew the way a person does: drag from the palette, fill the side panel, draw the
connections between handles, save."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Locator, Page, expect

from tests.e2e.support import MODEL_LABEL, UI, Account, scripted_model, sign_in
from tests.support.llm_server import ScriptedLLMServer


async def drop_from_palette(page: Page, button: str, x: int, y: int) -> None:
    """Drag a palette button onto the canvas; the new node's corner lands at (x, y)."""
    canvas = page.get_by_role("application", name="Crew canvas")
    await page.get_by_role("button", name=button).drag_to(canvas, target_position={"x": x, "y": y})


async def connect(page: Page, source: str, target: str) -> None:
    """Press on one handle, move to the other with the mouse button down, let go."""
    start = await _centre(page.get_by_label(source, exact=True))
    end = await _centre(page.get_by_label(target, exact=True))
    await page.mouse.move(*start)
    await page.mouse.down()
    await page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=5)
    await page.mouse.move(*end, steps=5)
    await page.mouse.up()


async def _centre(handle: Locator) -> tuple[float, float]:
    box = await handle.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def fill_agent(page: Page, key: str, role: str, goal: str) -> None:
    form = page.get_by_role("form", name="Agent")
    await form.get_by_label("Role").fill(role)
    await form.get_by_label("Goal").fill(goal)
    await form.get_by_label("Backstory").fill(f"A careful {role.lower()}.")
    await form.get_by_role("combobox", name="Model").click()
    await page.get_by_role("option", name=MODEL_LABEL).click()
    await expect(form.get_by_role("combobox", name="Model")).to_have_text(MODEL_LABEL)
    await form.get_by_label("Key").fill(key)
    await form.get_by_label("Key").press("Enter")
    await expect(page.get_by_test_id(f"node-agent-{key}")).to_contain_text(role)


async def fill_task(page: Page, key: str, name: str, description: str, expected: str) -> None:
    form = page.get_by_role("form", name="Task")
    await form.get_by_label("Name").fill(name)
    await form.get_by_label("Description").fill(description)
    await form.get_by_label("Expected output").fill(expected)
    await form.get_by_label("Key").fill(key)
    await form.get_by_label("Key").press("Enter")
    await expect(page.get_by_test_id(f"node-task-{key}")).to_contain_text(name)


async def test_a_two_agent_two_task_crew_is_built_on_the_canvas_and_saved(
    ui: UI, account: Account, api: httpx.AsyncClient, llm_server: ScriptedLLMServer
) -> None:
    model = await scripted_model(api, account, llm_server)
    await sign_in(ui, account)
    page = ui.page

    await page.get_by_role("button", name="New crew").click()
    dialog = page.get_by_role("dialog", name="New crew")
    await dialog.get_by_label("Name").fill("Tide brief")
    await dialog.get_by_label("Description").fill("Researches the tides and writes them up.")
    await dialog.get_by_role("button", name="Create").click()
    await expect(page.get_by_test_id("crew-name")).to_have_text("Tide brief")
    crew_id = page.url.rsplit("/", 1)[1]

    await drop_from_palette(page, "New agent", 30, 40)
    await fill_agent(page, "researcher", "Researcher", "Find facts about {topic}")
    await drop_from_palette(page, "New task", 380, 40)
    await fill_task(page, "research", "Research", "Research {topic}", "Three facts")
    await drop_from_palette(page, "New agent", 30, 300)
    await fill_agent(page, "writer", "Writer", "Write clearly")
    await drop_from_palette(page, "New task", 380, 300)
    await fill_task(page, "write", "Write", "Write a brief", "One paragraph")
    await ui.shot("nodes-placed")

    await connect(page, "Connect agent researcher to a task", "Connect to task research")
    await connect(page, "Connect agent writer to a task", "Connect to task write")
    await connect(page, "Use the output of task research in another task", "Connect to task write")
    await expect(page.get_by_test_id("node-task-research")).to_contain_text("Researcher")
    await expect(page.get_by_test_id("node-task-write")).to_contain_text("Writer")
    await expect(page.locator(".react-flow__edge")).to_have_count(3)
    await expect(page.get_by_test_id("dirty-indicator")).to_be_visible()
    # Complete, so nothing to report: not even the server's "no agents" from the empty crew.
    await expect(page.get_by_role("button", name=re.compile(r"\d+ problems?"))).to_have_count(0)
    await ui.shot("connected")

    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_test_id("dirty-indicator")).to_be_hidden()
    await expect(page.get_by_label("Version 2")).to_be_visible()
    await ui.shot("saved")

    response = await api.get(f"/api/v1/crews/{crew_id}", headers=account.actor.headers)
    crew = response.json()
    agents = {a["key"]: a for a in crew["agents"]}
    tasks = {t["key"]: t for t in crew["tasks"]}
    assert set(agents) == {"researcher", "writer"}
    assert agents["researcher"]["role"] == "Researcher"
    assert agents["researcher"]["goal"] == "Find facts about {topic}"
    assert {a["llm"] for a in agents.values()} == {model}
    assert [t["key"] for t in crew["tasks"]] == ["research", "write"]
    assert tasks["research"]["agent"] == "researcher"
    assert tasks["write"]["agent"] == "writer"
    assert tasks["write"]["context"] == ["research"]
    assert tasks["write"]["expected_output"] == "One paragraph"
    assert crew["version"] == 2
