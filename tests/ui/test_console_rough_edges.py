"""The rough edges a new user met in the console (issue 18, item 4), each as that user met it: a pure-durable
execution's page, a sign-in link pasted into an open tab, an unknown execution, a failed Lambda's cause, a denial,
an invalid upload after a good one, the loan form's errors, the 404s of a first load, a phone-sized window and the
benchmark page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from services.api.routes import HR_ROLE, MANAGER_ROLE
from tests.ui.conftest import shot, sign_in
from tests.ui.test_console import apply_as


def test_a_pure_durable_execution_shows_no_state_machine_parts(page, signer):
    apply_as(page, "charlie", variant="durable")
    expect(page.locator("#loan-status")).to_have_text("approved", timeout=20_000)
    sign_in(page, signer, HR_ROLE)
    expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
    page.click("#loan-execution-link")
    expect(page.locator("section.timeline")).to_contain_text("record application")
    for part in (".legend", ".execution-layout", "#graph", "#state-panel", "#state-list-box"):
        expect(page.locator(part)).to_be_hidden()
    shot(page, "execution-pure-durable")


def test_a_sign_in_link_pasted_into_an_open_tab_signs_in_on_the_roles_page(page, signer):
    page.goto("/#/executions")
    expect(page.locator("#executions-signin")).to_contain_text("Not signed in")
    # pasting the link into the address bar of this tab changes only the fragment: no page load
    page.evaluate("link => { location.hash = link; }", f"#/manager?token={signer.role_token(MANAGER_ROLE)}")
    expect(page.locator("#role")).to_have_value(MANAGER_ROLE)
    expect(page).to_have_url(re.compile(r"#/manager$"))  # the token is gone from the address bar
    expect(page.locator("#view-manager")).to_be_visible()
    expect(page.locator("#manager-error")).to_be_empty()
    page.evaluate("link => { location.hash = link; }", f"#/hr?token={signer.role_token(HR_ROLE)}")
    expect(page.locator("#role")).to_have_value(HR_ROLE)
    expect(page).to_have_url(re.compile(r"#/hr$"))
    expect(page.locator("#view-hr")).to_be_visible()
