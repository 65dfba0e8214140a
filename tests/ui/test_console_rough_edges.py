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

# A page that records every fetch it makes (at the call, before any answer), so a test can count them.
COUNT_FETCHES = """
window.__fetched = [];
const fetchOnce = window.fetch.bind(window);
window.fetch = (url, options) => { window.__fetched.push(String(url)); return fetchOnce(url, options); };
"""


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


def test_an_unknown_execution_is_asked_for_once(page, signer):
    page.add_init_script(COUNT_FETCHES)
    page.clock.install()
    page.goto("/")
    sign_in(page, signer, HR_ROLE)
    arn = "arn:aws:states:us-east-1:123456789012:execution:loan-sfn:no-such-execution"
    page.goto(f"/#/execution?arn={arn}")
    expect(page.locator("#execution-error")).to_contain_text("no Step Functions execution")
    page.clock.run_for(10_000)  # ten polling periods
    asked = page.evaluate("window.__fetched.filter(url => url.includes('/console/api/execution?'))")
    assert len(asked) == 1, asked
