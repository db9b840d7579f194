"""A crew from a sentence, the way a first-time user meets it: no key, the offline designer."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.support import UI, Account, sign_in

SENTENCE = "research our competitors' pricing and write a brief"


async def test_a_sentence_becomes_a_crew_on_the_canvas_and_a_change_is_one_undo(
    ui: UI, account: Account
) -> None:
    await sign_in(ui, account)
    page = ui.page

    await page.get_by_role("textbox", name="Describe a crew").fill(SENTENCE)
    await page.get_by_role("button", name="Generate").click()

    await expect(page.get_by_test_id("crew-name")).to_have_text(
        "Research our competitors' pricing and write a brief"
    )
    for node in ("agent-researcher", "agent-writer", "task-research", "task-write"):
        await expect(page.get_by_test_id(f"node-{node}")).to_be_visible()
    await expect(page.get_by_label("Version 1")).to_be_visible()
    await ui.shot("generated")

    await page.get_by_role("textbox", name="Change this crew").fill(
        "add a reviewer who checks sources"
    )
    await page.get_by_role("button", name="Apply").click()

    await expect(page.get_by_test_id("node-agent-reviewer")).to_contain_text("Reviewer")
    await expect(page.get_by_test_id("node-task-check")).to_be_visible()
    await expect(page.get_by_label("Version 2")).to_be_visible()
    await expect(page.get_by_test_id("generate-outcome")).to_contain_text("Added agent 'reviewer'")
    await expect(page.get_by_test_id("dirty-indicator")).to_have_count(0)
    await ui.shot("refined")

    await page.get_by_role("button", name="Undo").click()

    await expect(page.get_by_test_id("node-agent-reviewer")).to_have_count(0)
    await expect(page.get_by_test_id("node-task-check")).to_have_count(0)
    await expect(page.get_by_test_id("node-agent-writer")).to_be_visible()
    await expect(page.get_by_test_id("dirty-indicator")).to_be_visible()  # version 2 is saved
