"""An execution's history as the Events table's rows and the path it took (duoflow/console/events.py): short
histories in the shapes get_execution_history and get_durable_execution_history answer (the event sequences the
local runtime records, see tests/ui/test_console_events.py for the real ones), the rows and transitions out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from duoflow.console.events import durable_events, group_position, step_functions_events, taken_path

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# The enrollment saga's shape: Book Seat's failure is caught by Release Budget; Review waits for a person at most
# an hour, its timeout caught by No Decision in Time; Notify goes on to Audit whether it fails or not.
DEFINITION = {
    "StartAt": "Book Seat",
    "States": {
        "Book Seat": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Release Budget"}],
            "Next": "Review",
        },
        "Release Budget": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Notify"},
        "Review": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "TimeoutSeconds": 3600,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "No Decision in Time"}],
            "Next": "Notify",
        },
        "No Decision in Time": {"Type": "Pass", "Next": "Notify"},
        "Notify": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Audit"}],
            "Next": "Audit",
        },
        "Audit": {"Type": "Succeed"},
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


def entered(name: str, value: Any = None) -> Event:
    kind = DEFINITION["States"][name]["Type"]
    return f"{kind}StateEntered", {"stateEnteredEventDetails": {"name": name, "input": json.dumps(value or {})}}


def exited(name: str, value: Any = None) -> Event:
    kind = DEFINITION["States"][name]["Type"]
    return f"{kind}StateExited", {"stateExitedEventDetails": {"name": name, "output": json.dumps(value or {})}}


def task(kind: str, **details: Any) -> Event:
    return kind, {f"{kind[0].lower()}{kind[1:]}EventDetails": details}


def ran(name: str, outcome: Event = ("TaskSucceeded", {})) -> list[Event]:
    """A Task entered, scheduled, started, ended as ``outcome`` and exited: the events the runtime records."""
    return [entered(name), task("TaskScheduled"), task("TaskStarted"), outcome, exited(name)]


STARTED = ("ExecutionStarted", {"executionStartedEventDetails": {"input": '{"request_id": "r-1"}'}})
SUCCEEDED = ("ExecutionSucceeded", {"executionSucceededEventDetails": {"output": '{"outcome": "approved"}'}})
LAMBDA_ERROR = json.dumps(
    {
        "errorType": "EnrollmentRefused",
        "errorMessage": "Sold Out Academy has no seat left",
        "stackTrace": ['  File "/var/task/services/training/saga.py", line 40, in book\n'],
    }
)
SEAT_REFUSED = task("TaskFailed", error="EnrollmentRefused", cause=LAMBDA_ERROR)
TIMED_OUT = task("TaskTimedOut", error="States.Timeout", cause="no answer in 3600 s")


def steps(path: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    return [(step["from"], step["to"], step["caught"]) for step in path]


def test_a_caught_failure_is_a_catch_transition_and_the_run_ends_at_end():
    events = history(
        STARTED, *ran("Book Seat", SEAT_REFUSED), *ran("Release Budget"), *ran("Notify"), entered("Audit"),
        exited("Audit"), SUCCEEDED,
    )  # fmt: skip

    assert steps(taken_path(events, DEFINITION, "SUCCEEDED")) == [
        ("__start__", "Book Seat", False),
        ("Book Seat", "Release Budget", True),
        ("Release Budget", "Notify", False),
        ("Notify", "Audit", False),
        ("Audit", "__end__", False),
    ]


def test_a_timeout_is_a_catch_transition_to_its_handler():
    events = history(
        STARTED, *ran("Book Seat"), *ran("Review", TIMED_OUT), entered("No Decision in Time"),
        exited("No Decision in Time"), *ran("Notify"), entered("Audit"), exited("Audit"), SUCCEEDED,
    )  # fmt: skip

    path = steps(taken_path(events, DEFINITION, "SUCCEEDED"))

    assert ("Book Seat", "Review", False) in path
    assert ("Review", "No Decision in Time", True) in path
    assert ("No Decision in Time", "Notify", False) in path


def test_next_and_catch_to_the_same_state_are_told_apart_by_whether_the_state_failed():
    delivered = history(STARTED, *ran("Notify"), entered("Audit"))
    failed = history(STARTED, *ran("Notify", task("TaskFailed", error="SNS.NotFound")), entered("Audit"))

    assert steps(taken_path(delivered, DEFINITION, "RUNNING"))[-1] == ("Notify", "Audit", False)
    assert steps(taken_path(failed, DEFINITION, "RUNNING"))[-1] == ("Notify", "Audit", True)


def test_a_failed_or_running_run_has_no_end_transition_and_no_edge_the_definition_lacks():
    # Parallel branches interleave: an entry can follow another branch's exit, which is not an edge of the machine
    events = history(STARTED, *ran("Book Seat"), entered("Audit"), ("ExecutionFailed", {}))

    assert steps(taken_path(events, DEFINITION, "FAILED")) == [("__start__", "Book Seat", False)]


def test_each_event_is_a_row_with_its_state_time_and_a_short_detail():
    scheduled = task(
        "TaskScheduled",
        resourceType="lambda",
        resource="invoke",
        parameters=json.dumps({"FunctionName": "arn:aws:lambda:us-east-1:1:function:training-saga-step:$LATEST"}),
    )
    events = history(
        STARTED, entered("Book Seat", {"seat": 1}), scheduled, task("TaskStarted", resourceType="lambda",
        resource="invoke"), SEAT_REFUSED, exited("Book Seat", {"Error": "EnrollmentRefused"}), entered("Release Budget"),
    )  # fmt: skip

    rows = step_functions_events(events, taken_path(events, DEFINITION, "RUNNING"))

    shown = [(row["id"], row["type"], row["state"], row["elapsed_ms"], row["detail"]) for row in rows]
    assert shown == [
        (1, "ExecutionStarted", None, 0.0, ""),
        (2, "TaskStateEntered", "Book Seat", 1000.0, ""),
        (3, "TaskScheduled", "Book Seat", 2000.0, "lambda:invoke · function training-saga-step"),
        (4, "TaskStarted", "Book Seat", 3000.0, "lambda:invoke"),
        (5, "TaskFailed", "Book Seat", 4000.0, "EnrollmentRefused: Sold Out Academy has no seat left"),
        (6, "TaskStateExited", "Book Seat", 5000.0, "next: Release Budget (caught)"),
        (7, "TaskStateEntered", "Release Budget", 6000.0, ""),
    ]
    assert rows[0]["input"] == {"request_id": "r-1"} and rows[0]["at"] == at(1).isoformat()
    assert rows[1]["input"] == {"seat": 1}
    assert rows[2]["parameters"]["FunctionName"].endswith("training-saga-step:$LATEST")
    assert rows[4]["error"] == "EnrollmentRefused" and rows[4]["cause"]["stackTrace"]  # all of it, to expand
    assert rows[5]["output"] == {"Error": "EnrollmentRefused"}


def test_elapsed_time_counts_from_the_given_start_and_a_long_detail_is_cut_to_one_line():
    long_cause = "the provider said: " + "no seat " * 40
    events = history(STARTED, entered("Book Seat"), task("TaskFailed", error="EnrollmentRefused", cause=long_cause))

    rows = step_functions_events(events, start=T0)

    assert [row["elapsed_ms"] for row in rows] == [1000.0, 2000.0, 3000.0]
    assert len(rows[2]["detail"]) == 140 and rows[2]["detail"].endswith("…")
    assert rows[2]["cause"] == long_cause


def durable_history(*events: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"EventId": number, "EventTimestamp": at(number), **event} for number, event in enumerate(events, start=1)]


def payload(value: Any) -> dict[str, Any]:
    return {"Payload": json.dumps(value), "Truncated": False}


def test_a_durable_history_is_rows_of_operations_with_results_retries_and_errors():
    events = durable_history(
        {"EventType": "ExecutionStarted", "Id": "run", "ExecutionStartedDetails": {"Input": payload({"a": 1})}},
        {"EventType": "ContextStarted", "SubType": "WaitForCallback", "Id": "w1", "Name": "fraud check"},
        {"EventType": "StepStarted", "SubType": "Step", "Id": "s1", "Name": "book seat"},
        {
            "EventType": "StepFailed",
            "SubType": "Step",
            "Id": "s1",
            "Name": "book seat",
            "StepFailedDetails": {
                "Error": {"Payload": {"ErrorType": "saga.EnrollmentRefused", "ErrorMessage": "no seat left"}},
                "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 2},
            },
        },
        {"EventType": "StepSucceeded", "SubType": "Step", "Id": "s1", "Name": "book seat",
         "StepSucceededDetails": {"Result": payload({"t": "m", "v": {"seat": "A-1"}}),
                                  "RetryDetails": {"CurrentAttempt": 2}}},
        {"EventType": "CallbackStarted", "SubType": "Callback", "Id": "c1", "Name": "fraud check create callback id",
         "ParentId": "w1", "CallbackStartedDetails": {"CallbackId": "cb-secret", "Timeout": 300}},
        {"EventType": "WaitStarted", "SubType": "Wait", "Id": "w2", "Name": "cool off",
         "WaitStartedDetails": {"Duration": 60}},
        {"EventType": "InvocationCompleted"},
    )  # fmt: skip

    rows = durable_events(events, start=T0)

    shown = [(row["type"], row["state"], row["elapsed_ms"], row["detail"]) for row in rows]
    assert shown == [
        ("ExecutionStarted", None, 1000.0, ""),
        ("ContextStarted", "fraud check", 2000.0, "wait for callback"),
        ("StepStarted", "book seat", 3000.0, "step"),
        ("StepFailed", "book seat", 4000.0, "step · attempt 1 failed, retried in 2 s · EnrollmentRefused: no seat left"),
        ("StepSucceeded", "book seat", 5000.0, "step · on attempt 2"),
        ("CallbackStarted", "fraud check create callback id", 6000.0,
         "callback · in fraud check · waits for a callback, at most 300 s"),
        ("WaitStarted", "cool off", 7000.0, "wait · waits 60 s"),
        ("InvocationCompleted", None, 8000.0, "an invocation ended (the next one replays from the top)"),
    ]  # fmt: skip
    assert rows[0]["input"] == {"a": 1}
    assert rows[4]["output"] == {"seat": "A-1"}  # the SDK's envelope unwrapped, as the workflow's code saw it
    assert rows[3]["error"]["ErrorMessage"] == "no seat left"


def test_a_durable_execution_is_grouped_after_the_tasks_event_that_started_it():
    rows = [
        {"id": 7, "state": "Screen Request", "at": at(7).isoformat()},
        {"id": 8, "state": "Screen Request", "at": at(8).isoformat()},
        {"id": 9, "state": "Screen Request", "at": at(10).isoformat()},
        {"id": 10, "state": None, "at": at(11).isoformat()},
    ]

    assert group_position(rows, "Screen Request", at(9)) == 8
    assert group_position(rows, "Screen Request", None) == 7  # the times do not say: its first event
    assert group_position(rows, "Enroll Employee", at(9)) is None


def test_a_parallels_own_events_belong_to_it_not_to_the_branch_state_that_ended_last():
    parallel = {
        "StartAt": "Pull Reports",
        "States": {
            "Pull Reports": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Pull A", "States": {"Pull A": {"Type": "Task", "Resource": "x", "End": True}}},
                    {"StartAt": "Pull B", "States": {"Pull B": {"Type": "Task", "Resource": "x", "End": True}}},
                ],
                "End": True,
            }
        },
    }

    def state(kind: str, name: str) -> Event:
        key = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        return kind, {key: {"name": name}}

    events = history(
        STARTED, state("ParallelStateEntered", "Pull Reports"), ("ParallelStateStarted", {}),
        state("TaskStateEntered", "Pull A"), task("TaskScheduled"), state("TaskStateEntered", "Pull B"),
        state("TaskStateExited", "Pull A"), task("TaskSucceeded"), state("TaskStateExited", "Pull B"),
        ("ParallelStateSucceeded", {}), state("ParallelStateExited", "Pull Reports"), ("ExecutionSucceeded", {}),
    )  # fmt: skip

    owners = [(row["type"], row["state"]) for row in step_functions_events(events)]

    assert owners[2] == ("ParallelStateStarted", "Pull Reports")
    assert owners[4] == ("TaskScheduled", "Pull A")
    assert owners[9] == ("ParallelStateSucceeded", "Pull Reports")
    assert owners[10:] == [("ParallelStateExited", "Pull Reports"), ("ExecutionSucceeded", None)]
    assert steps(taken_path(events, parallel, "SUCCEEDED")) == [
        ("__start__", "Pull Reports", False),
        ("Pull Reports", "__end__", False),
    ]  # no edge between the branches, whose events interleave
