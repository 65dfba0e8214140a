"""The audit export's parts on hand-made input (duoflow/audit_export.py): the rule beside each decision point, the
Step Functions history and the durable operations as a reader follows them, and the three renderings."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from domain.loan import rules as loan_rules
from domain.training import rules as training_rules
from duoflow.audit_export import (
    BUSINESS,
    AuditExport,
    TrailEntry,
    durable_entries,
    loan_rule,
    render,
    state_machine_entries,
    training_rule,
)
from duoflow.runtime.saved_state import NoSavedState, SavedState


def test_the_manager_threshold_is_cited_with_its_value_and_constant():
    rule = loan_rule("manager-approval-requested", {"loan_amount": 150_000})
    assert f"${loan_rules.MANAGER_APPROVAL_THRESHOLD:,}" in rule
    assert "domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD" in rule and "30 minutes" in rule


def test_an_approval_without_a_manager_names_the_threshold_it_was_under_and_a_denial_has_no_such_rule():
    under = loan_rule("decision", {"loan_amount": 25_000, "outcome": "approved"})
    assert (
        under
        == "$25,000.00 is below the $100,000 that needs a manager (domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD)"
    )
    assert loan_rule("decision", {"loan_amount": 25_000, "outcome": "denied"}) == ""
    assert loan_rule("decision", {"loan_amount": 150_000, "outcome": "approved"}) == ""  # the manager's entry says it


@pytest.mark.parametrize(
    ("score", "words"),
    [
        (training_rules.APPROVE_MIN_SCORE, "≥ 76: approved without a review"),
        (training_rules.APPROVE_MIN_SCORE - 1, "from 50 to 75: HR decides"),
        (training_rules.REVIEW_MIN_SCORE, "from 50 to 75: HR decides"),
        (training_rules.REVIEW_MIN_SCORE - 1, "< 50: rejected"),
    ],
)
def test_the_screening_band_at_each_edge(score, words):
    rule = training_rule("screened", {"score": score})
    assert f"score {score} {words}" in rule and "domain/training/rules.py" in rule


def test_every_entry_without_a_rule_gets_none():
    assert loan_rule("received", {}) == training_rule("received", {}) == ""


EVENTS = [
    {"type": "ExecutionStarted", "timestamp": "2026-12-03T10:00:00.000Z", "executionStartedEventDetails": {}},
    {
        "type": "ChoiceStateEntered",
        "timestamp": "2026-12-03T10:00:00.100Z",
        "stateEnteredEventDetails": {"name": "Big?"},
    },
    {"type": "ChoiceStateExited", "timestamp": "2026-12-03T10:00:00.100Z", "stateExitedEventDetails": {"name": "Big?"}},
    {"type": "TaskStateEntered", "timestamp": "2026-12-03T10:00:00.200Z", "stateEnteredEventDetails": {"name": "Ask"}},
    {
        "type": "TaskFailed",
        "timestamp": "2026-12-03T10:00:00.300Z",
        "taskFailedEventDetails": {"error": "Boom", "cause": 'first line\n  File "/home/x.py", line 3'},
    },
    {
        "type": "ExecutionFailed",
        "timestamp": "2026-12-03T10:00:00.400Z",
        "executionFailedEventDetails": {"error": "Boom"},
    },
]


def test_a_history_reads_as_decisions_with_the_branch_taken_and_failures_with_the_first_line_of_their_cause():
    entries = state_machine_entries("loan-sfn", EVENTS)
    assert [entry.what for entry in entries] == [
        "execution started on the state machine loan-sfn",
        "decision “Big?” → “Ask”",
        "“Ask” (step)",
        "TaskFailed: Boom: first line",
        "ExecutionFailed: Boom",
    ]
    assert {entry.source for entry in entries} == {"Step Functions loan-sfn"}


def test_durable_operations_leave_out_the_sdks_own_parts_and_say_attempts_and_errors():
    ms = 1_796_292_000_000  # 2026-12-03T10:00:00Z
    operations = [
        {
            "Id": "e",
            "Type": "EXECUTION",
            "Status": "FAILED",
            "Name": "x",
            "StartTimestamp": ms,
            "EndTimestamp": ms + 900,
        },
        {
            "Id": "w",
            "Type": "CONTEXT",
            "SubType": "WaitForCallback",
            "Status": "SUCCEEDED",
            "Name": "fraud check",
            "StartTimestamp": ms + 1,
        },
        {
            "Id": "c",
            "ParentId": "w",
            "Type": "CALLBACK",
            "SubType": "Callback",
            "Status": "SUCCEEDED",
            "Name": "fraud check create callback id",
            "StartTimestamp": ms + 1,
        },
        {
            "Id": "p",
            "Type": "CONTEXT",
            "SubType": "Parallel",
            "Status": "SUCCEEDED",
            "Name": "pull",
            "StartTimestamp": ms + 2,
        },
        {
            "Id": "b",
            "ParentId": "p",
            "Type": "CONTEXT",
            "SubType": "ParallelBranch",
            "Status": "SUCCEEDED",
            "Name": "a report",
            "StartTimestamp": ms + 2,
        },
        {
            "Id": "s",
            "Type": "STEP",
            "SubType": "Step",
            "Status": "FAILED",
            "Name": "pay",
            "StartTimestamp": ms + 3,
            "StepDetails": {"Attempt": 3, "Error": {"ErrorType": "ConnectionError", "ErrorMessage": "down\ntrace"}},
        },
    ]
    entries = durable_entries("loan-workflow", operations)
    assert [(entry.at, entry.what) for entry in entries] == [
        ("2026-12-03T10:00:00.000Z", "execution started"),
        ("2026-12-03T10:00:00.900Z", "execution failed"),
        ("2026-12-03T10:00:00.001Z", "fraud check (wait for a callback): succeeded"),
        ("2026-12-03T10:00:00.002Z", "pull (parallel): succeeded"),
        ("2026-12-03T10:00:00.003Z", "pay (step): failed after 3 attempts: ConnectionError down"),
    ]


def an_export() -> AuditExport:
    return AuditExport(
        id="app-1",
        scenario="loan",
        noun="loan application",
        variant="hybrid",
        facts=[("Applicant", "Ann | Co"), ("Outcome", 'approved: manager Dana approved: ok, "fine"')],
        executions=[{"kind": "Step Functions", "arn": "arn:1", "name": "loan-hybrid", "status": "SUCCEEDED"}],
        trail=[
            TrailEntry("2026-12-03T10:00:00.000Z", "Step Functions loan-hybrid", "ExecutionStarted", "started"),
            TrailEntry(
                "2026-12-03T10:00:01.000Z", BUSINESS, "manager-decision", 'approved: ok, "fine" | yes', "Dana Lee"
            ),
        ],
    )


def test_the_markdown_is_a_document_with_the_peoples_decisions_first_and_cells_that_stay_in_their_column():
    text = render(an_export(), "md", ".duoflow/state", now=datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    assert text.startswith("# Audit trail of loan application app-1\n")
    assert "on 2026-12-03 11:00 UTC" in text and "`.duoflow/state`" in text
    assert "| Applicant | Ann \\| Co |" in text
    decisions = text.index("## Decisions made by people")
    assert decisions < text.index("## Business record") < text.index("## Every step, in time order")
    assert '| 2026-12-03T10:00:01.000Z | Dana Lee | approved: ok, "fine" \\| yes |' in text


def test_csv_and_json_carry_every_entry_with_its_text_intact():
    export = an_export()
    rows = list(csv.DictReader(io.StringIO(render(export, "csv", ""))))
    assert [row["what"] for row in rows] == ["started", 'approved: ok, "fine" | yes']
    assert rows[1]["by"] == "Dana Lee" and rows[1]["event"] == "manager-decision"
    document = json.loads(render(export, "json", ""))
    assert document["facts"]["Applicant"] == "Ann | Co" and document["trail"][1]["by"] == "Dana Lee"


def test_a_directory_without_a_servers_state_is_refused_by_name(tmp_path):
    with pytest.raises(NoSavedState, match=f"{tmp_path} holds no state of `duoflow serve`"):
        SavedState(tmp_path)


def test_a_record_without_a_status_yet_still_exports_what_it_has():
    from duoflow.audit_export import _facts

    assert _facts("loan", {}) == [("Outcome", "not decided yet")]
    waiting = _facts("loan", {"applicant_name": "Ann", "loan_amount": 150000, "status": "waiting for a manager"})
    assert waiting[-1] == ("Outcome", "not decided yet (waiting for a manager)")
    assert ("Loan amount", "$150,000.00") in waiting


def test_a_lambdas_error_reads_as_its_type_and_message_without_its_stack_trace():
    cause = json.dumps(
        {"errorType": "services.loan.offer.OfferRefused", "errorMessage": "no offer", "stackTrace": ["  File x.py"]}
    )
    event = {
        "type": "TaskFailed",
        "timestamp": "2026-12-03T10:00:00.000Z",
        "taskFailedEventDetails": {"error": "E", "cause": cause},
    }
    [entry] = state_machine_entries("loan-sfn", [event])
    assert entry.what == "TaskFailed: E: OfferRefused: no offer"
