"""Recovering an execution in the browser (issue 18, item 1): a hybrid loan stuck on a fraud service that is down
is stopped with the page's Stop button; the service comes back; Redrive continues it from the state that failed
and it ends approved, with a new durable assessment under the Task. A run that ended in its Fail state shows why a
redrive would not help. Screenshot: tests/ui/artifacts/redriven-execution.png (docs/console/redrive.png)."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from duoflow.api_client import ApiClient
from duoflow.scenarios import loan_cases
from services.api.routes import MANAGER_ROLE
from tests.failed_runs import failed_sfn_execution
from tests.ui.conftest import shot, sign_in
from tests.waiting import wait_until

CHARLIE = loan_cases(["charlie"])[0].application


def test_stop_then_redrive_a_run_stuck_on_a_down_fraud_service(page, runtime, signer, monkeypatch):
    monkeypatch.setenv("FRAUD_SIMULATION", "silent")  # the fraud service takes the request and never answers
    api = ApiClient(runtime.client("lambda"))
    # digits only: an id that itself ends like a redriven run's name ("-redrive-N") must not read as one
    application_id = f"ui-redrive-{uuid.uuid4().int % 10**6:06d}"
    started = api.post("/apply", {**CHARLIE, "application_id": application_id}, {"variant": "hybrid"})
    assert started.status == 202, started
    arn = started.body["execution_arn"]
    wait_until(
        lambda: "fraud-requested" in [e["entry_id"] for e in api.get(f"/status/{application_id}").body["log"]],
        what="the fraud service was asked",
    )
    page.goto("/#/loan")
    sign_in(page, signer, MANAGER_ROLE)
    page.goto(f"/#/execution?arn={arn}")
    expect(page.locator("#execution-status")).to_have_text("RUNNING")
    expect(page.locator("#execution-recovery button[data-action=redrive]")).to_have_count(0)
    page.click("#execution-recovery button[data-action=stop]")
    expect(page.locator("#execution-status")).to_have_text("ABORTED")

    monkeypatch.setenv("FRAUD_SIMULATION", "answer")  # the service is back
    expect(page.locator("#execution-recovery button[data-action=start-again]")).to_be_visible()
    page.click("#execution-recovery button[data-action=redrive]")
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED", timeout=30_000)
    expect(page.locator("#redrive-count")).to_have_text("redriven 1×")
    expect(page.locator("#graph-focus")).to_be_hidden()  # nothing runs any more: no "Running state" to go to
    # the Task ran the durable assessment again, under a new name, shown under it
    redriven_assessment = page.locator(f"section.timeline[data-durable='{application_id}-redrive-1'] h2")
    expect(redriven_assessment).to_contain_text("(loan-assessment, redrive 1) SUCCEEDED")
    first_assessment = page.locator(f"section.timeline[data-durable='{application_id}'] h2")
    expect(first_assessment).to_contain_text("(loan-assessment) STOPPED")
    assert api.get(f"/status/{application_id}").body["status"] == "approved"
    page.locator("g.node[data-id='Assess Credit and Fraud']").click()
    page.evaluate("document.querySelectorAll('#flash .msg').forEach((message) => message.remove())")
    shot(page, "redriven-execution")


def test_a_run_that_ended_in_its_fail_state_says_why_redrive_would_not_help(page, runtime, signer):
    arn = failed_sfn_execution(runtime, "loan-sfn")
    page.goto("/#/loan")
    sign_in(page, signer, MANAGER_ROLE)
    page.goto(f"/#/execution?arn={arn}")
    expect(page.locator("#execution-status")).to_have_text("FAILED")
    page.click("#execution-recovery button[data-action=redrive]")
    expect(page.locator("#recovery-message")).to_contain_text("Start again with this input")
    page.click("#execution-recovery button[data-action=start-again]")
    expect(page.locator("#execution-title")).to_contain_text("-again-")
