"""The rough edges a new user met in the console (issue 18, item 4), each as that user met it: a pure-durable
execution's page, a sign-in link pasted into an open tab, an unknown execution, a failed Lambda's cause, a denial,
an invalid upload after a good one, the loan form's errors, the 404s of a first load, a phone-sized window and the
benchmark page."""

from __future__ import annotations

import json
import re
import threading

import pytest
from playwright.sync_api import expect

from duoflow.console.executions import Executions
from services.api.routes import HR_ROLE, MANAGER_ROLE
from tests.failed_runs import failed_sfn_execution
from tests.ui.conftest import shot, sign_in
from tests.ui.test_console import apply_as
from tests.waiting import wait_until

# A page that records every fetch it makes (at the call, before any answer), so a test can count them.
COUNT_FETCHES = """
window.__fetched = [];
const fetchOnce = window.fetch.bind(window);
window.fetch = (url, options) => { window.__fetched.push(String(url)); return fetchOnce(url, options); };
"""


@pytest.fixture(scope="module")
def failed_sfn(runtime) -> str:
    return failed_sfn_execution(runtime)


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


def test_a_list_slower_than_the_polling_period_is_not_asked_for_again_while_on_its_way(page, signer, monkeypatch):
    """Thousands of executions take the server seconds to list: the page waits for the answer, then asks again a
    polling period later, instead of piling a request a second on a server that is already busy."""
    listed = Executions.list
    answer = threading.Event()
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow_list(self, *args, **kwargs):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            answer.wait(30)  # the test lets it answer once the page has had ten periods to ask again
            return listed(self, *args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(Executions, "list", slow_list)
    page.add_init_script(COUNT_FETCHES)
    page.clock.install()
    page.goto(f"/#/executions?token={signer.role_token(HR_ROLE)}")  # a sign-in link: the list view, opened once

    def asked() -> int:
        return page.evaluate("window.__fetched.filter(url => url.includes('/console/api/executions?')).length")

    try:
        wait_until(lambda: asked() >= 1, what="the list asked for")  # (wait_for_function would eval: the CSP refuses)
        page.clock.run_for(10_000)  # ten polling periods while the first list is being built
        assert asked() == 1
    finally:
        answer.set()  # also when the page did ask again: no server thread left waiting
    expect(page.locator("#executions tr").first).to_be_attached()
    page.clock.run_for(1_000)  # one period after the answer: asked again
    wait_until(lambda: asked() == 2, what="the list asked for again")
    assert most[0] == 1


def test_a_failed_lambdas_cause_reads_as_its_message(page, signer, failed_sfn):
    page.goto("/")
    sign_in(page, signer, HR_ROLE)
    page.goto(f"/#/execution?arn={failed_sfn}")
    expect(page.locator("#execution-status")).to_have_text("FAILED")
    summary = page.locator("#execution-summary")
    expect(summary).to_contain_text("ApplicationInvalid: applicant_name: is required")
    page.locator("#graph g.node[data-id='Record Application']").press("Enter")
    error = page.locator("#selected-error")
    expect(error).to_contain_text("ApplicationInvalid")
    expect(error).to_contain_text("applicant_name: is required; sin_last4: is required")
    for shown in (summary, page.locator("#state-panel")):
        text = shown.inner_text()
        assert "stackTrace" not in text and "/work/" not in text and "\\n" not in text and '{"' not in text, text
    shot(page, "execution-failed-cause")


def test_the_page_reads_error_causes(page):
    page.goto("/#/bench")
    lambda_error = json.dumps(
        {
            "errorType": "ApplicationInvalid",
            "errorMessage": "loan_amount: must be positive",
            "stackTrace": ['  File "/home/someone/duoflow/services/loan/intake.py", line 24, in record\n    x()\n'],
        }
    )
    read = page.evaluate("([error, cause]) => readableError(error, cause)", ["ApplicationInvalid", lambda_error])
    assert read["message"] == "ApplicationInvalid: loan_amount: must be positive"
    assert "/home/someone" not in json.dumps(read) and "intake.py, line 24, in record" in read["details"]
    durable_error = {"ErrorType": "domain.loan.validation.ApplicationInvalid", "ErrorMessage": "sin_last4: is required"}
    read = page.evaluate("error => readableError(error)", durable_error)
    assert read["message"] == "ApplicationInvalid: sin_last4: is required"
    read = page.evaluate(
        "([error, cause]) => readableError(error, cause)",
        ["States.Timeout", "Task timed out after 30 seconds at /var/task/handler.py"],
    )
    assert read["message"] == "States.Timeout: Task timed out after 30 seconds at handler.py"
    assert page.evaluate("readableError(null, null)") is None


def test_a_denial_reads_as_the_outcome_not_as_an_error(page, signer):
    application_id = apply_as(page, "bob", variant="sfn")
    expect(page.locator("#loan-status")).to_have_text("denied", timeout=20_000)
    sign_in(page, signer, HR_ROLE)
    expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
    page.click("#loan-execution-link")
    expect(page.locator("#execution-title")).to_have_text(application_id)
    page.locator("g.node[data-id='Loan Denied']").press("Enter")
    panel = page.locator("#state-panel")
    expect(panel.locator("h3", has_text="Outcome")).to_be_visible()
    expect(page.locator("#selected-outcome")).to_have_text(re.compile("^denied: credit denied: credit score too low"))
    expect(panel.locator("h3", has_text="Error")).to_have_count(0)


def test_an_invalid_upload_after_a_good_one_shows_only_its_errors(page, signer, runtime):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    page.goto("/#/training")
    sign_in(page, signer, HR_ROLE)
    page.locator("#training-profiles button[data-case=driver]").click()
    page.get_by_role("button", name="Upload request").click()
    page.wait_for_url(re.compile(r"#/training\?id="))
    expect(page.locator("#training-progress")).to_be_visible()
    page.fill("#training-doc", '{"employee_id": "E-1", "cost": -3}')
    page.get_by_role("button", name="Upload request").click()
    expect(page.locator("#training-errors")).to_contain_text("employee_name")
    expect(page.locator("#training-progress")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"#/training$"))  # the earlier request is no longer followed
    shot(page, "training-invalid-after-good")


def test_the_loan_forms_errors_name_the_fields_as_the_form_does(page):
    page.goto("/#/loan")
    page.locator("#loan-profiles button[data-case='alice']").click()
    page.fill("#sin_last4", "12")
    page.fill("#loan_amount", "-5")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#err-sin_last4")).to_have_text(re.compile(r"^SIN, last 4 digits must be exactly 4 digits"))
    expect(page.locator("#err-loan_amount")).to_have_text(re.compile(r"^Loan amount \(\$\) must"))
    expect(page.locator("#sin_last4")).to_have_attribute("aria-invalid", "true")
    assert "sin_last4" not in page.locator("#loan-form").inner_text()


def test_a_first_load_apply_and_upload_answer_no_404(page, signer, runtime):
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    apply_as(page, "alice")
    expect(page.locator("#loan-log li[data-entry=received]")).to_be_visible(timeout=20_000)
    if ("bucket", "training-requests") in runtime.resources:
        sign_in(page, signer, HR_ROLE)
        page.goto("/#/training")
        page.locator("#training-profiles button[data-case=accountant]").click()
        page.get_by_role("button", name="Upload request").click()
        expect(page.locator("#training-log li[data-entry=received]")).to_be_visible(timeout=30_000)
    assert not missing, missing
    icon = page.evaluate("(async () => (await fetch(document.querySelector('link[rel=icon]').href)).status)()")
    assert icon == 200


@pytest.mark.parametrize("where", ["loan", "execution"])
def test_a_phone_sized_window_does_not_scroll_sideways(page, signer, where):
    page.set_viewport_size({"width": 390, "height": 844})
    if where == "loan":
        page.goto("/#/loan")
        expect(page.locator("#loan-profiles button").first).to_be_visible()
    else:
        apply_as(page, "alice")
        sign_in(page, signer, HR_ROLE)
        expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
        page.click("#loan-execution-link")
        expect(page.locator("section.timeline").first).to_be_visible()
    width = page.evaluate("document.scrollingElement.scrollWidth")
    shot(page, f"phone-{where}")
    assert width <= 390, width


def test_the_benchmark_page_shows_both_scenarios_with_their_date_and_machine(page):
    page.goto("/#/bench")
    for scenario, runs in (("loan", "runs per case"), ("training", "runs per case")):
        report = page.locator(f"section.bench-report[data-scenario={scenario}]")
        meta = report.locator(".bench-meta")
        expect(meta).to_contain_text(runs)
        expect(meta).to_contain_text(re.compile(r"figures of \d{4}-\d{2}-\d{2}"))
        expect(meta).to_contain_text(re.compile(r"\d+ CPUs"))
        assert not meta.inner_text().strip().endswith("·")
        expect(report.locator("table")).to_contain_text("hybrid")
        expect(report.locator("img")).to_have_attribute("src", re.compile(f"scenario={scenario}"))
        report.locator("img").evaluate("img => img.decode()")  # it loads (an SVG the page may show)
    shot(page, "benchmark")
