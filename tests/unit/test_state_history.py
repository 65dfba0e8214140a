"""A Step Functions history turned into each state's status (duoflow/console/state_history.py): short
histories in the shape get_execution_history answers, the states the console shows out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from duoflow.console.state_history import state_statuses

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Check Credit → Decision Sent; a failure Check Credit does not retry is caught and ends in Rejected.
DEFINITION = {
    "StartAt": "Check Credit",
    "States": {
        "Check Credit": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Rejected"}],
            "Next": "Decision Sent",
        },
        "Decision Sent": {"Type": "Succeed"},
        "Rejected": {"Type": "Fail", "Error": "CreditCheckFailed"},
    },
}
Event = tuple[str, dict[str, Any]]


def history(*events: Event) -> list[dict[str, Any]]:
    """Numbered from 1, each following the one before, one second apart."""
    return [
        {"id": number, "previousEventId": number - 1, "type": kind, "timestamp": at(number), **details}
        for number, (kind, details) in enumerate(events, start=1)
    ]


def at(number: int) -> datetime:
    return T0 + timedelta(seconds=number)


def entered(name: str, value: Any) -> Event:
    kind = DEFINITION["States"][name]["Type"]
    return f"{kind}StateEntered", {"stateEnteredEventDetails": {"name": name, "input": json.dumps(value)}}


def exited(name: str, value: Any) -> Event:
    kind = DEFINITION["States"][name]["Type"]
    return f"{kind}StateExited", {"stateExitedEventDetails": {"name": name, "output": json.dumps(value)}}


def task(kind: str, **details: str) -> Event:
    return kind, {f"{kind[0].lower()}{kind[1:]}EventDetails": details}


STARTED = ("ExecutionStarted", {})
CREDIT_FAILED = task("TaskFailed", error="BureauDown", cause="no answer in 10 s")


def test_each_state_has_its_input_output_and_times_and_the_unreached_one_is_not_reached():
    events = history(
        STARTED,
        entered("Check Credit", {"application_id": "a-1"}),
        task("TaskScheduled"),
        task("TaskSucceeded"),
        exited("Check Credit", {"score": 780}),
        entered("Decision Sent", {"score": 780}),
        exited("Decision Sent", {"score": 780}),
        ("ExecutionSucceeded", {}),
    )
    execution = {"status": "SUCCEEDED", "output": json.dumps({"outcome": "approved"})}

    states = state_statuses(events, execution, DEFINITION)

    assert states["Check Credit"] == {
        "type": "Task",
        "status": "succeeded",
        "input": {"application_id": "a-1"},
        "output": {"score": 780},
        "start": at(2).isoformat(),
        "end": at(5).isoformat(),
        "entries": 1,
    }
    assert states["Decision Sent"]["status"] == "succeeded"
    assert states["Rejected"] == {"type": "Fail", "status": "not-reached"}


def test_a_failure_a_catch_moves_on_from_is_caught_and_the_fail_state_it_reaches_failed():
    events = history(
        STARTED,
        entered("Check Credit", {"application_id": "a-1"}),
        task("TaskScheduled"),
        CREDIT_FAILED,
        entered("Rejected", {"Error": "BureauDown"}),
        ("ExecutionFailed", {}),
    )
    execution = {"status": "FAILED", "error": "CreditCheckFailed", "cause": "the bureaus did not answer"}

    states = state_statuses(events, execution, DEFINITION)

    check = states["Check Credit"]
    assert (check["status"], check["error"], check["cause"], check["failures"]) == (
        "caught",
        "BureauDown",
        "no answer in 10 s",
        1,
    )
    rejected = states["Rejected"]
    assert (rejected["status"], rejected["error"], rejected["cause"]) == (
        "failed",
        "CreditCheckFailed",
        "the bureaus did not answer",
    )
    assert states["Decision Sent"]["status"] == "not-reached"


def test_a_retry_that_succeeds_leaves_the_state_succeeded_and_marked_retried():
    events = history(
        STARTED,
        entered("Check Credit", {"application_id": "a-1"}),
        task("TaskScheduled"),
        CREDIT_FAILED,
        task("TaskScheduled"),
        task("TaskSucceeded"),
        exited("Check Credit", {"score": 780}),
    )

    check = state_statuses(events, {"status": "RUNNING"}, DEFINITION)["Check Credit"]

    assert (check["status"], check["retried"], check["failures"]) == ("succeeded", True, 1)


def test_a_business_refusal_shows_its_succeed_state_as_denied_with_the_reason():
    events = history(
        STARTED,
        entered("Decision Sent", {"outcome": "denied"}),
        exited("Decision Sent", {"outcome": "denied"}),
        ("ExecutionSucceeded", {}),
    )
    output = {"outcome": "denied", "reason": "credit score below 600"}

    states = state_statuses(events, {"status": "SUCCEEDED", "output": json.dumps(output)}, DEFINITION)

    sent = states["Decision Sent"]
    assert (sent["status"], sent["error"], sent["cause"]) == ("denied", "denied", "credit score below 600")


def test_a_state_still_running_when_the_execution_was_stopped_is_stopped():
    events = history(STARTED, entered("Check Credit", {}), task("TaskScheduled"), ("ExecutionAborted", {}))

    states = state_statuses(events, {"status": "ABORTED"}, DEFINITION)

    assert states["Check Credit"]["status"] == "stopped"
