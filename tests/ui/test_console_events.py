"""An execution's events in the browser (issue 18, item 2), as the Step Functions console's "Events" tab shows them:
each event a row (id, type, state, time, time since the start, a short detail) whose input, output or error opens
in place; a hybrid's durable execution as a group of rows under the Task that ran it; a pure-durable execution's
own events."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from services.api.routes import HR_ROLE, MANAGER_ROLE
from tests.failed_runs import caught_training_execution, failed_durable_execution
from tests.ui.conftest import ARTIFACTS, shot, sign_in
from tests.ui.test_console import apply_as

ELAPSED = re.compile(r"^\+\d+(\.\d+)? (ms|s)$")


@pytest.fixture(scope="module")
def training(runtime) -> None:
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")


@pytest.fixture(scope="module")
def caught_sfn(runtime, training) -> str:
    return caught_training_execution(runtime, "sfn")


@pytest.fixture(scope="module")
def caught_hybrid(runtime, training) -> str:
    return caught_training_execution(runtime, "hybrid")


def open_events(page, signer, arn: str):
    page.goto("/")
    sign_in(page, signer, HR_ROLE)
    page.goto(f"/#/execution?arn={arn}")
    events = page.locator("#execution-events")
    expect(events.locator("tr.event").last).to_contain_text("Execution")  # the last event: the execution's end
    return events


def row(events, event_type: str, state: str | None = None):
    found = events.locator(f"tr.event[data-type='{event_type}']")
    return found.filter(has=events.page.locator("td:nth-child(3)", has_text=state)) if state else found


def test_a_step_functions_run_reads_event_by_event_with_the_caught_failure(page, signer, caught_sfn):
    events = open_events(page, signer, caught_sfn)
    expect(events.locator("h2")).to_contain_text(re.compile(r"Events \d+ event\(s\)"))
    first = events.locator("tr.event").first
    expect(first).to_contain_text("ExecutionStarted")
    expect(first.locator("td").nth(4)).to_have_text("+0 ms")
    elapsed = events.locator("tr.event td:nth-child(5)").all_inner_texts()
    assert all(ELAPSED.match(text) for text in elapsed), elapsed
    failed = row(events, "TaskFailed", "Book Seat")
    expect(failed).to_have_class(re.compile(r"\bbad\b"))
    expect(failed.locator("td").last).to_have_text(
        "EnrollmentRefused: Sold Out Academy has no seat left on Apache Spark for Data Engineers"
    )
    expect(row(events, "TaskStateExited", "Book Seat").locator("td").last).to_have_text("next: Release Budget (caught)")
    expect(row(events, "TaskScheduled", "Release Budget").locator("td").last).to_contain_text(
        "function training-saga-compensation"
    )

    failed.click()  # the row opens in place: the error as a person reads it, the trace under Details
    details = events.locator("tr.event-details")
    expect(details).to_have_count(1)
    expect(details.locator(".error-message")).to_have_text(
        "EnrollmentRefused: Sold Out Academy has no seat left on Apache Spark for Data Engineers"
    )
    assert "stackTrace" not in details.inner_text() and "/work/" not in details.inner_text()
    expect(failed.locator(".event-toggle")).to_have_attribute("aria-expanded", "true")
    first.locator(".event-toggle").press("Enter")  # by keyboard too
    expect(details).to_have_count(2)
    expect(details.first).to_contain_text('"employee_name": "Amara Okafor"')
    failed.click()
    expect(details).to_have_count(1)
    shot(page, "events-sfn-caught")


def test_a_hybrids_durable_events_are_grouped_under_the_task_that_ran_them(page, signer, caught_hybrid):
    events = open_events(page, signer, caught_hybrid)
    group = events.locator("tr.event-group[data-state='Enroll Employee']")
    expect(group).to_contain_text("Durable execution of “Enroll Employee” (training-enrollment)")
    expect(group).to_contain_text("SUCCEEDED")
    before = group.locator("xpath=preceding-sibling::tr[1]")
    expect(before.locator("td").nth(2)).to_have_text("Enroll Employee")  # right after the Task's own event
    key = group.get_attribute("data-group")
    inside = events.locator(f"tr.in-group[data-event^='{key}-']")
    expect(inside.filter(has_text="book seat failed").first).to_be_visible()
    released = inside.filter(has_text="release budget").filter(has_text="StepSucceeded")
    expect(released).to_have_count(1)
    expect(inside.filter(has_text="InvocationCompleted").first).to_contain_text("replays from the top")
    expect(inside.last).to_contain_text("ExecutionSucceeded")  # its end, recorded after the Task moved on
    assert all(ELAPSED.match(text) for text in inside.locator("td:nth-child(5)").all_inner_texts())
    expect(events.locator("tr.event-group[data-state='Screen Request']")).to_contain_text("training-screening")

    released.click()
    expect(events.locator("tr.event-details")).to_contain_text("Output")
    shot(page, "events-hybrid-grouped")
    page.evaluate("document.querySelector('#flash').replaceChildren()")
    events.screenshot(path=str(ARTIFACTS / "events-hybrid-docs.png"))  # docs/console/ (copied)

    group.click()  # a group folds away
    expect(inside.first).to_be_hidden()
    expect(events.locator("tr.event-details")).to_be_hidden()
    group.click()
    expect(inside.first).to_be_visible()


def test_a_pure_durable_run_shows_its_own_events(page, signer, runtime):
    arn = failed_durable_execution(runtime)
    events = open_events(page, signer, arn)
    expect(events.locator("tr.event-group")).to_have_count(0)
    expect(row(events, "StepSucceeded", "record application")).to_contain_text("step")
    ended = row(events, "ExecutionFailed")
    expect(ended).to_have_class(re.compile(r"\bbad\b"))
    expect(ended.locator("td").last).to_contain_text("ApplicationInvalid: applicant_name: is required")
    ended.click()
    expect(events.locator("tr.event-details .error-message")).to_contain_text("ApplicationInvalid")
    shot(page, "events-durable-failed")


def test_a_running_executions_events_grow_without_a_reload_and_an_opened_row_stays_open(page, signer):
    application_id = apply_as(page, "alice", variant="sfn")
    expect(page.locator("#loan-status")).to_have_text("waiting for a manager", timeout=20_000)
    sign_in(page, signer, MANAGER_ROLE)
    expect(page.locator("#loan-execution-link")).to_have_attribute("href", re.compile("#/execution\\?arn="))
    page.click("#loan-execution-link")
    events = page.locator("#execution-events")
    expect(row(events, "TaskSubmitted", "Request Manager Approval")).to_have_count(1)
    expect(row(events, "ExecutionSucceeded")).to_have_count(0)
    events.locator("tr.event").first.click()
    expect(events.locator("tr.event-details")).to_contain_text("Alice Johnson")

    decided = page.evaluate(
        "id => call('POST', `/api/approve/${id}`, { approved: true, manager: 'Dana Lee', comment: 'ok' })",
        application_id,
    )  # as the manager's page does, with the manager's token
    assert decided["ok"], decided
    expect(row(events, "ExecutionSucceeded")).to_have_count(1, timeout=20_000)
    expect(row(events, "TaskSucceeded", "Request Manager Approval")).to_have_count(1)
    expect(events.locator("tr.event-details")).to_contain_text("Alice Johnson")  # still open
