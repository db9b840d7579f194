"""Signing in with the form, staying signed in across a reload, signing out."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.support import UI, Account


async def test_a_user_signs_in_with_the_form_stays_signed_in_and_signs_out(
    ui: UI, account: Account
) -> None:
    page = ui.page
    ui.expect_failed_request(r"/api/v1/auth/login$")  # the wrong password below: 401
    await ui.goto("/executions")
    await expect(page).to_have_url(f"{ui.base_url}/sign-in?next=%2Fexecutions")
    await expect(page.get_by_role("heading", name="Sign in to Kasal")).to_be_visible()
    await ui.shot("sign-in")

    await page.get_by_label("Email").fill(account.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")

    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    # Back where the user was going, signed in as them.
    await expect(page).to_have_url(f"{ui.base_url}/executions")
    await expect(page.get_by_role("heading", name="Executions")).to_be_visible()
    await expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    await ui.shot("signed-in")

    await page.reload()  # the access token lived in memory only: the refresh cookie restores it
    await expect(page.get_by_role("heading", name="Executions")).to_be_visible()

    await page.get_by_role("button", name="Account menu").click()
    await expect(page.get_by_role("menuitem", name=account.email)).to_be_visible()
    await page.get_by_role("menuitem", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Kasal")).to_be_visible()
    await page.goto(f"{ui.base_url}/crews")
    await expect(page.get_by_role("heading", name="Sign in to Kasal")).to_be_visible()
