"""The executions list as an on-call engineer uses it (issue 18, item 5): who and what each run is about, its
scenario, variant, status, start date and time and duration, newest first; the failed ones one click away; a
filter by each column an engineer looks for a run by."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from services.api.routes import HR_ROLE
from tests.failed_runs import failed_durable_execution, failed_sfn_execution
from tests.ui.conftest import shot, sign_in
from tests.ui.test_console import apply_as

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@pytest.fixture(scope="module")
def failed(runtime) -> dict[str, str]:
    return {"sfn": failed_sfn_execution(runtime), "durable": failed_durable_execution(runtime)}


def test_the_failed_runs_are_one_click_away_and_each_row_says_who_and_when(page, signer, failed):
    bob = apply_as(page, "bob", variant="sfn")
    expect(page.locator("#loan-status")).to_have_text("denied", timeout=20_000)
    sign_in(page, signer, HR_ROLE)
    page.goto("/#/executions")
    rows = page.locator("#executions tr.link")
    row = rows.filter(has_text=bob)
    expect(row).to_contain_text("Bob Martinez")
    expect(row).to_contain_text("$50,000")
    expect(row).to_contain_text("SUCCEEDED")
    assert DATE_TIME.match(row.locator("td").nth(6).inner_text()), row.inner_text()
    assert re.search(r"\d ms|\d s", row.locator("td").nth(7).inner_text())
    starts = rows.locator("td:nth-child(7)").all_inner_texts()
    assert starts == sorted(starts, reverse=True), "newest first"
    shot(page, "executions-list")

    failed_button = page.locator("#filter-status button[data-status=failed]")
    expect(failed_button).to_contain_text(re.compile(r"Failed \([1-9]\d*\)"))
    failed_button.click()
    expect(page).to_have_url(re.compile(r"#/executions\?status=failed$"))  # a link to the failed runs
    expect(rows.filter(has_text="SUCCEEDED")).to_have_count(0)
    for name in (failed["sfn"].split(":")[-1], failed["durable"].split("/durable-execution/")[1].split("/")[0]):
        expect(rows.filter(has_text=name)).to_contain_text("FAILED")
    expect(failed_button).to_have_attribute("aria-pressed", "true")
    shot(page, "executions-failed")

    page.reload()  # the link keeps the filter
    expect(page.locator("#filter-status button[data-status=failed]")).to_have_attribute("aria-pressed", "true")
    expect(rows.first).to_contain_text("FAILED")

    page.locator("#filter-status button[data-status='']").click()
    page.fill("#filter-text", "bob martinez")
    expect(rows.filter(has_not_text="Bob Martinez")).to_have_count(0)
    expect(rows.filter(has_text=bob)).to_be_visible()
    page.select_option("#filter-variant", "durable")
    expect(page.locator("#executions")).to_contain_text("No execution matches these filters.")


def test_the_list_shows_no_sin_or_income_to_hr(page, signer):
    page.goto("/#/executions")
    sign_in(page, signer, HR_ROLE)
    expect(page.locator("#executions tr.link").first).to_be_visible()
    text = page.locator("#executions").inner_text()
    assert "redacted" not in text and "1111" not in text and "180,000" not in text
