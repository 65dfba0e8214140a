"""The console in a real browser: apply, follow, approve, review; the execution graph coloured by what
happened; refusals without the role."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from services.api.routes import HR_ROLE, MANAGER_ROLE
from tests.ui.conftest import shot, sign_in


def apply_as(page, case: str, variant: str = "hybrid") -> str:
    """Fills the form from a demo profile (scenarios/loan/<case>.json) and applies."""
    page.goto("/#/loan")
    page.locator(f"#loan-profiles button[data-case='{case}']").click()
    page.check(f"input[name=variant][value={variant}]")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"#/loan\?id="))
    return re.search(r"id=([^&]+)", page.url).group(1)


def test_alice_applies_a_manager_approves_and_the_graph_ends_green(page, signer):
    application_id = apply_as(page, "alice")
    # progress moves without a reload: the log grows until the workflow waits for a manager
    expect(page.locator("#loan-log li[data-entry=received]")).to_be_visible()
    expect(page.locator("#loan-status")).to_have_text("waiting for a manager", timeout=20_000)
    expect(page.locator("#loan-log li[data-entry=manager-approval-requested]")).to_be_visible()
    shot(page, "loan-waiting-for-manager")

    sign_in(page, signer, MANAGER_ROLE)
    page.goto("/#/manager")
    card = page.locator(f"article[data-application='{application_id}']")
    expect(card).to_be_visible()
    shot(page, "manager-approvals")
    card.get_by_label(re.compile("Comment")).fill("long-standing customer")
    card.get_by_role("button", name="Approve").click()
    expect(page.locator("#flash")).to_contain_text(f"Approved {application_id}")

    page.goto(f"/#/loan?id={application_id}")
    expect(page.locator("#loan-status")).to_have_text("approved", timeout=20_000)
    expect(page.locator("#loan-reason")).to_contain_text("manager Dana Lee approved: long-standing customer")
    page.click("#loan-execution-link")
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    end = page.locator("g.node[data-id='Loan Approved']")
    expect(end).to_have_attribute("data-status", "succeeded")
    fill = end.locator(".shape").evaluate("node => getComputedStyle(node).fill")
    assert fill == "rgb(223, 245, 230)", fill  # the succeeded green
    expect(page.locator("g.node[data-id='Loan Denied']")).to_have_attribute("data-status", "not-reached")

    page.locator("g.node[data-id='Assess Credit and Fraud']").click()
    expect(page.locator("#selected-status")).to_have_text("succeeded")
    timeline = page.locator("section.timeline[data-durable]")
    expect(timeline).to_contain_text("Durable operations of “Assess Credit and Fraud” (loan-assessment)")
    expect(timeline.locator("tr[data-op='pull equifax report']")).to_be_visible()
    timeline.locator("tr[data-op='fraud check']").click()
    expect(timeline.locator(".op-detail")).to_contain_text("FraudCheckService")
    shot(page, "execution-alice-approved")

    # The functions' log lines about the application, beside the graph and the durable operations
    logs = page.locator("#execution-logs")
    expect(logs).to_contain_text("loan-offer")
    expect(logs.locator("tr", has_text="loan-intake").first).to_contain_text("INFO")

    # The audit trail, saved as a file from the execution's page: the manager's decision in it, by name
    expect(page.locator("#execution-export")).to_contain_text(f"Audit trail of {application_id}")
    with page.expect_download() as download:
        page.locator("#execution-export button[data-format=md]").click()
    assert download.value.suggested_filename == f"audit-{application_id}.md"
    text = open(download.value.path(), encoding="utf-8").read()
    assert "## Decisions made by people" in text and "long-standing customer" in text


def test_bob_is_denied_and_the_graph_shows_why(page, signer):
    application_id = apply_as(page, "bob", variant="sfn")
    expect(page.locator("#loan-status")).to_have_text("denied", timeout=20_000)
    sign_in(page, signer, HR_ROLE)  # execution data needs a role
    expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
    page.click("#loan-execution-link")
    expect(page.locator("#execution-title")).to_have_text(application_id)
    denied = page.locator("g.node[data-id='Loan Denied']")
    expect(denied).to_have_attribute("data-status", "denied")
    stroke = denied.locator(".shape").evaluate("node => getComputedStyle(node).stroke")
    assert stroke == "rgb(197, 48, 48)", stroke  # red
    denied.click()
    expect(page.locator("#selected-outcome")).to_contain_text("credit denied: credit score too low")
    expect(page.locator("g.node[data-id='Request Fraud Check']")).to_have_attribute("data-status", "not-reached")
    shot(page, "execution-bob-denied")


def test_actions_without_the_role_are_refused_with_a_clear_message(page, signer):
    page.goto("/#/manager")
    expect(page.locator("#manager-error")).to_contain_text(
        "Not signed in: sign in: GET /approvals needs a token with the managers role"
    )
    sign_in(page, signer, HR_ROLE)
    page.goto("/#/manager")
    expect(page.locator("#manager-error")).to_have_text(
        "Refused: GET /approvals needs the managers role; your token has hr."
    )
    shot(page, "manager-refused-for-hr")


def test_the_executions_list_and_the_benchmark(page, signer):
    apply_as(page, "charlie", variant="durable")
    sign_in(page, signer, MANAGER_ROLE)
    page.goto("/#/executions")
    row = page.locator("#executions tr", has_text="durable").first
    expect(row).to_be_visible()
    row.locator("a").click()
    expect(page.locator("section.timeline")).to_contain_text("record application")
    page.goto("/#/bench")
    expect(page.locator("section.bench-report[data-scenario=loan] table")).to_contain_text("hybrid")


def test_an_opened_operation_stays_open_while_the_page_polls_a_running_execution(page, signer):
    apply_as(page, "alice", variant="durable")
    expect(page.locator("#loan-status")).to_have_text("waiting for a manager", timeout=20_000)
    sign_in(page, signer, HR_ROLE)
    expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
    page.click("#loan-execution-link")
    expect(page.locator("#execution-status")).to_have_text("RUNNING")
    row = page.locator("section.timeline tr.op[data-op='fraud check']")
    row.focus()
    page.keyboard.press("Enter")
    detail = page.locator("section.timeline .op-detail")
    expect(detail).to_contain_text("fraud check")
    for _ in range(2):  # two more polls of the running execution
        with page.expect_response(lambda response: "/console/api/execution" in response.url):
            pass
    expect(detail).to_contain_text("fraud check")
    assert row.evaluate("node => document.activeElement === node")  # the keyboard focus is where it was
