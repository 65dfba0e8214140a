"""A durable execution's history turned into its operation tree (duoflow/console/durable_operations.py):
short histories in the shape get_durable_execution_history answers, the operations the console shows out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from duoflow.console.durable_operations import decode_payload, operations

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def history(*events: dict[str, Any]) -> list[dict[str, Any]]:
    """Numbered from 1, one second apart."""
    return [{"EventId": number, "EventTimestamp": at(number), **event} for number, event in enumerate(events, start=1)]


def at(number: int) -> datetime:
    return T0 + timedelta(seconds=number)


def event(kind: str, op: str, sub_type: str, parent: str | None = None, **details: Any) -> dict[str, Any]:
    """One operation's event; ``op`` is both its id and its name."""
    found = {"EventType": kind, "SubType": sub_type, "Id": op, "Name": op, f"{kind}Details": details}
    return {**found, "ParentId": parent} if parent else found


def payload(value: Any) -> dict[str, Any]:
    return {"Payload": json.dumps(value), "Truncated": False}


START = {"EventType": "ExecutionStarted", "Id": "run-1", "Name": "run-1", "ExecutionStartedDetails": {}}
INVOCATION_ENDED = {"EventType": "InvocationCompleted"}


def test_branches_nest_under_their_parallel_in_tree_order_whatever_order_they_started_in():
    events = history(
        START,
        event("ContextStarted", "pull reports", "Parallel"),
        event("ContextStarted", "branch 0", "ParallelBranch", parent="pull reports"),
        event("ContextStarted", "branch 1", "ParallelBranch", parent="pull reports"),
        event("StepStarted", "pull equifax", "Step", parent="branch 0"),
        event("StepSucceeded", "pull equifax", "Step", parent="branch 0", Result=payload({"score": 777})),
        event("StepStarted", "score credit", "Step"),
        INVOCATION_ENDED,
        {"EventType": "ExecutionSucceeded", "Id": "run-1", "ExecutionSucceededDetails": {}},
    )

    found = operations(events)

    shown = [(op["name"], op["type"], op["parent"], op["depth"], op["status"]) for op in found["operations"]]
    assert shown == [
        ("pull reports", "Parallel", None, 0, "running"),
        ("branch 0", "ParallelBranch", "pull reports", 1, "running"),
        ("pull equifax", "Step", "branch 0", 2, "succeeded"),
        ("branch 1", "ParallelBranch", "pull reports", 1, "running"),
        ("score credit", "Step", None, 0, "running"),
    ]
    equifax = found["operations"][2]
    assert (equifax["family"], equifax["start"], equifax["end"]) == ("Step", at(5).isoformat(), at(6).isoformat())
    assert equifax["result"] == {"score": 777}
    assert found["invocations"] == [at(8).isoformat()]


def test_a_step_that_failed_and_was_retried_counts_its_attempts():
    error = {"ErrorType": "BureauDown", "ErrorMessage": "no answer"}
    retry = {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 5}
    failed = event("StepFailed", "pull equifax", "Step", Error=payload(error), RetryDetails=retry)
    started = event("StepStarted", "pull equifax", "Step")

    during = operations(history(START, started, failed))["operations"][0]
    after = operations(history(START, started, failed, started, event("StepSucceeded", "pull equifax", "Step")))

    assert (during["status"], during["attempts"], during["error"], during["retry"]) == ("retrying", 1, error, retry)
    assert (after["operations"][0]["status"], after["operations"][0]["attempts"]) == ("succeeded", 2)


def test_what_was_under_way_when_the_execution_stopped_is_shown_stopped_not_running():
    callback = event("CallbackStarted", "fraud callback", "Callback", CallbackId="cb-1", Timeout=300)
    stopped = {"EventType": "ExecutionStopped", "Id": "run-1"}  # the third event: at(3)

    [running] = operations(history(START, callback))["operations"]
    [ended] = operations(history(START, callback, stopped))["operations"]

    assert running["status"] == "running"
    assert (ended["status"], ended["end"]) == ("stopped", at(3).isoformat())


def test_a_success_that_names_its_attempt_is_a_success():
    """Lambda (and the local runtime since f78738e) gives every StepSucceeded RetryDetails.CurrentAttempt."""
    started = event("StepStarted", "pull equifax", "Step")
    succeeded = event("StepSucceeded", "pull equifax", "Step", RetryDetails={"CurrentAttempt": 1})

    [step] = operations(history(START, started, succeeded))["operations"]

    assert (step["status"], step["attempts"]) == ("succeeded", 1)
    assert "retry" not in step


def test_a_callback_shows_its_id_and_timeout_and_the_answer_as_json():
    answer = {"passed": True, "risk_indicators": 0}
    events = history(
        START,
        event("ContextStarted", "fraud check", "WaitForCallback"),
        event("CallbackStarted", "fraud callback", "Callback", parent="fraud check", CallbackId="cb-1", Timeout=300),
        event("CallbackSucceeded", "fraud callback", "Callback", parent="fraud check", Result=payload(answer)),
    )

    callback = operations(events)["operations"][1]

    assert (callback["callbackId"], callback["timeout"], callback["result"]) == ("cb-1", 300, answer)


def test_an_operation_whose_parent_the_history_does_not_show_comes_last():
    events = history(event("StepStarted", "orphan", "Step", parent="gone"), event("StepStarted", "first", "Step"))

    assert [op["name"] for op in operations(events)["operations"]] == ["first", "orphan"]


def test_payloads_come_out_of_the_sdks_typed_envelope_and_json_text_inside_it_is_read():
    typed = {"t": "m", "v": {"bureau": {"t": "s", "v": "equifax"}, "scores": {"t": "l", "v": [{"t": "i", "v": 7}]}}}

    assert decode_payload(json.dumps(typed)) == {"bureau": "equifax", "scores": [7]}
    assert decode_payload(json.dumps(json.dumps({"passed": True}))) == {"passed": True}
    assert decode_payload("not json") == "not json"
    assert decode_payload(None) is None
