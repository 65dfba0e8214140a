"""The rough edges a new user met in the console (issue 18, item 4), each as that user met it: a pure-durable
execution's page, a sign-in link pasted into an open tab, an unknown execution, a failed Lambda's cause, a denial,
an invalid upload after a good one, the loan form's errors, the 404s of a first load, a phone-sized window and the
benchmark page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from services.api.routes import HR_ROLE
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
