"""Every route of statemachines/loan.asl.json, on the local engine, with test doubles for its Lambdas.

Each test scripts the doubles for one application, runs the real (placeholder-filled) definition and checks
what the workflow itself does: the path through the states, the terminal state, the output or the error, the
audit trail it writes to "loan-progress", the applicant's SNS message, and which Lambdas it called.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from domain.loan import rules
from tests.statemachines import doubles
from tests.statemachines.conftest import (
    APPLICANT_TOPIC,
    AUDIT,
    TO_OFFER,
    application,
    assert_decision_recorded,
    assert_processing_failed,
    finish,
    item,
    published,
    run,
    start,
    time_out_the_waiting_task,
)
from tests.waiting import wait_until

THRESHOLD = rules.MANAGER_APPROVAL_THRESHOLD

ENTRY = ["Record Application", "Assess Credit and Fraud", "Credit and Fraud Check Passed?"]


# --- 1. credit or fraud check denies ---------------------------------------------------------------------


def test_credit_denied_ends_in_loan_denied_with_the_assessments_reason(stack):
    app = application(25_000)
    reason = "credit denied: debt-to-income 51.2% is above the 43.0% limit"
    doubles.script(app["application_id"], assessment=doubles.Deny(reason))

    result = run(stack, app)

    assert result.status == "SUCCEEDED"
    assert result.path == [*ENTRY, "Deny: Credit or Fraud Check", *AUDIT, "Loan Denied"]
    assert result.output == {"application_id": app["application_id"], "outcome": "denied", "reason": reason}
    assert doubles.called(app["application_id"]) == ["loan-intake", "loan-assessment"]  # no offer, no payout
    assert_decision_recorded(stack, app["application_id"], "denied", reason)


def test_the_assessment_gets_the_task_token_and_the_application_from_intake(stack):
    app = application(25_000)
    doubles.script(app["application_id"], assessment=doubles.Deny())

    result = run(stack, app)

    [call] = doubles.calls(app["application_id"], "loan-assessment")
    assert set(call.event) == {"task_token", "application", "log_context"}
    assert call.event["task_token"]
    assert call.event["log_context"] == {"sfn_execution_arn": result.description["executionArn"]}
    assert call.event["application"]["application_id"] == app["application_id"]
    assert call.event["application"]["loan_amount"] == app["loan_amount"]


# --- 2. approved without a manager --------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [25_000, THRESHOLD - 0.01], ids=["25000", "just-under-threshold"])
def test_approved_under_the_threshold_is_offered_and_disbursed_without_a_manager(stack, amount):
    app = application(amount)
    reason = "credit approved: near-prime tier at 7.50%, debt-to-income 31.0%"
    doubles.script(app["application_id"], assessment=doubles.Approve(reason))

    result = run(stack, app)

    assert result.status == "SUCCEEDED"
    assert result.path == [*ENTRY, "Manager Approval Required?", *TO_OFFER, *AUDIT, "Loan Approved"]
    app_id = app["application_id"]
    assert doubles.called(app_id) == ["loan-intake", "loan-assessment", "loan-offer", "loan-disbursement"]
    [offer_call] = doubles.calls(app_id, "loan-offer")
    assert offer_call.event["assessment"]["decision"] == "approved"  # the offer sees the assessment
    offer = result.output["offer"]
    assert offer["principal"] == amount and offer["annual_rate_percent"] == 5.25
    [payout_call] = doubles.calls(app_id, "loan-disbursement")
    assert payout_call.event["offer"] == offer  # the disbursement pays the offer that was generated
    assert result.output == {
        "application_id": app_id,
        "outcome": "approved",
        "reason": reason,  # no manager: the assessment's reason
        "offer": offer,
        "disbursement_reference": f"DSB-TEST-{app_id}",
    }
    assert_decision_recorded(stack, app_id, "approved", reason)
    status = item(stack, app_id, "STATUS")
    assert json.loads(status["outcome_json"])["disbursement_reference"] == f"DSB-TEST-{app_id}"


# --- 3. manager approval at the threshold -----------------------------------------------------------------


@pytest.mark.parametrize("approved", [True, False], ids=["manager-approves", "manager-declines"])
def test_amount_at_the_threshold_waits_for_the_managers_decision(stack, approved):
    app = application(THRESHOLD)  # inclusive: exactly the threshold needs a manager
    app_id = app["application_id"]
    doubles.script(app_id, assessment=doubles.Approve())
    execution = start(stack, app)

    request = doubles.wait_for_manager_request(app_id)
    assert request["application"]["loan_amount"] == THRESHOLD
    assert request["assessment"]["decision"] == "approved"
    # While it waits, the request is filed where managers look (the sparse "pending" index).
    pending = stack.dynamodb.query(
        TableName="loan-progress",
        IndexName="pending",
        KeyConditionExpression="pending_kind = :kind",
        ExpressionAttributeValues={":kind": {"S": "manager-approval"}},
    )["Items"]
    assert app_id in {entry["application_id"]["S"] for entry in pending}
    assert stack.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    verdict = "approved" if approved else "denied"
    comment = "stable income, low risk" if approved else "loan-to-income ratio too high"
    reason = f"manager Dana Reyes {verdict}: {comment}"
    stack.sfn.send_task_success(
        taskToken=request["task_token"],
        output=json.dumps({"approved": approved, "manager": "Dana Reyes", "comment": comment, "reason": reason}),
    )
    result = finish(stack, execution)

    assert result.status == "SUCCEEDED"
    head = [*ENTRY, "Manager Approval Required?", "Request Manager Approval", "Manager Approved?"]
    if approved:
        assert result.path == [*head, *TO_OFFER, *AUDIT, "Loan Approved"]
        assert result.output["outcome"] == "approved"
        assert result.output["reason"] == reason  # the manager's reason, not the assessment's
        assert result.output["disbursement_reference"] == f"DSB-TEST-{app_id}"
        assert doubles.called(app_id)[-2:] == ["loan-offer", "loan-disbursement"]
    else:
        assert result.path == [*head, "Deny: Manager Declined", *AUDIT, "Loan Denied"]
        assert result.output == {"application_id": app_id, "outcome": "denied", "reason": reason}
        assert "loan-offer" not in doubles.called(app_id)
        assert "loan-disbursement" not in doubles.called(app_id)
    assert_decision_recorded(stack, app_id, verdict, reason)  # includes: the APPROVAL item was withdrawn


# --- 4. no manager answers --------------------------------------------------------------------------------


def test_no_manager_decision_denies_after_the_modelled_timeout(stack):
    app = application(THRESHOLD + 50_000)
    app_id = app["application_id"]
    doubles.script(app_id, assessment=doubles.Approve())
    waiting = stack.runtime.pending_timeouts()
    execution = start(stack, app)
    request = doubles.wait_for_manager_request(app_id)
    assert item(stack, app_id, "APPROVAL") is not None

    # 30 modelled minutes, neither fewer nor waited out in real time
    time_out_the_waiting_task(stack, execution, rules.MANAGER_APPROVAL_TIMEOUT_SECONDS, waiting)
    result = finish(stack, execution)

    assert result.status == "SUCCEEDED"
    assert result.path == [
        *ENTRY,
        "Manager Approval Required?",
        "Request Manager Approval",
        "Deny: No Manager Decision",
        *AUDIT,
        "Loan Denied",
    ]
    timed_out = [e for e in result.events if e["type"] == "TaskTimedOut"]
    assert len(timed_out) == 1 and timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert result.output == {"application_id": app_id, "outcome": "denied", "reason": rules.NO_MANAGER_DECISION_REASON}
    assert "loan-offer" not in doubles.called(app_id)
    assert_decision_recorded(stack, app_id, "denied", rules.NO_MANAGER_DECISION_REASON)  # APPROVAL removed

    # A manager answering late is refused, with one of the codes services/loan/manager_approval.py handles.
    with pytest.raises(ClientError) as late:
        stack.sfn.send_task_success(
            taskToken=request["task_token"],
            output=json.dumps({"approved": True, "manager": "Late", "comment": "", "reason": "manager Late approved"}),
        )
    assert late.value.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


# --- 5. the assessment fails or never answers ----------------------------------------------------------------


def test_assessment_failure_ends_in_loan_processing_failed_keeping_the_error_name(stack):
    app = application(25_000)
    doubles.script(
        app["application_id"], assessment=doubles.FailTask("CreditBureauUnavailable", "experian kept failing")
    )

    result = run(stack, app)

    assert result.path == [*ENTRY[:2], "Record Processing Failure", "Loan Processing Failed"]
    assert_processing_failed(stack, result, app["application_id"], "CreditBureauUnavailable")
    assert doubles.called(app["application_id"]) == ["loan-intake", "loan-assessment"]


def test_assessment_failure_keeps_the_cause(stack):
    app = application(25_000)
    doubles.script(
        app["application_id"], assessment=doubles.FailTask("CreditBureauUnavailable", "experian kept failing")
    )

    result = run(stack, app)

    assert result.description.get("cause") == "CreditBureauUnavailable: experian kept failing"


def test_assessment_that_never_answers_times_out_and_marks_the_application_failed(stack):
    app = application(25_000)
    doubles.script(app["application_id"], assessment=doubles.Silent())
    waiting = stack.runtime.pending_timeouts()
    execution = start(stack, app)
    wait_until(lambda: "loan-assessment" in doubles.called(app["application_id"]), what="the assessment asked")

    time_out_the_waiting_task(stack, execution, rules.ASSESSMENT_TIMEOUT_SECONDS, waiting)
    result = finish(stack, execution)

    assert result.path == [*ENTRY[:2], "Record Processing Failure", "Loan Processing Failed"]
    timed_out = [e for e in result.events if e["type"] == "TaskTimedOut"]
    assert len(timed_out) == 1 and timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    assert_processing_failed(stack, result, app["application_id"], "States.Timeout")


# --- 6. invalid application, and other failures routed to "Record Processing Failure" ------------------------


def test_invalid_application_is_rejected_by_its_own_fail_state(stack):
    app = application(25_000)
    doubles.script(
        app["application_id"], intake_error="ApplicationInvalid", intake_message="loan_amount: must be a number"
    )

    result = run(stack, app)

    assert result.status == "FAILED"
    assert result.path == ["Record Application", "Application Rejected as Invalid"]
    assert result.description["error"] == "ApplicationInvalid"
    cause = json.loads(result.description["cause"])  # the Lambda error, as Step Functions passes it on
    assert (cause["errorType"], cause["errorMessage"]) == ("ApplicationInvalid", "loan_amount: must be a number")
    assert doubles.called(app["application_id"]) == ["loan-intake"]
    # Not a processing failure: nothing is written, nobody is notified.
    assert item(stack, app["application_id"], "STATUS") is None
    assert published(stack, APPLICANT_TOPIC, app["application_id"]) == []


def test_intake_crash_is_a_processing_failure(stack):
    app = application(25_000)
    doubles.script(app["application_id"], intake_error="ProgressTableUnavailable")

    result = run(stack, app)

    assert result.path == ["Record Application", "Record Processing Failure", "Loan Processing Failed"]
    rest = assert_processing_failed(stack, result, app["application_id"], "ProgressTableUnavailable")
    assert json.loads(rest)["errorType"] == "ProgressTableUnavailable"  # then the Lambda error itself


@pytest.mark.parametrize(
    ("failing", "behaviour", "path_tail"),
    [
        ("loan-offer", {"offer_error": "RateTableMissing"}, ["Generate Loan Offer"]),
        ("loan-disbursement", {"disbursement_error": "PaymentRailDown"}, TO_OFFER),
    ],
    ids=["offer-fails", "disbursement-fails"],
)
def test_offer_or_disbursement_failure_is_a_processing_failure(stack, failing, behaviour, path_tail):
    app = application(25_000)
    doubles.script(app["application_id"], assessment=doubles.Approve(), **behaviour)

    result = run(stack, app)

    assert result.path == [
        *ENTRY,
        "Manager Approval Required?",
        *path_tail,
        "Record Processing Failure",
        "Loan Processing Failed",
    ]
    assert_processing_failed(stack, result, app["application_id"], next(iter(behaviour.values())))
    assert doubles.called(app["application_id"])[-1] == failing  # nothing called after the failure
    assert len(doubles.calls(app["application_id"], failing)) == 1  # a business error is not retried


def test_transient_lambda_errors_are_retried(stack):
    app = application(25_000)
    doubles.script(app["application_id"], assessment=doubles.Approve(), offer_transient_failures=2)

    result = run(stack, app)

    assert result.status == "SUCCEEDED"
    assert result.terminal_state == "Loan Approved"
    assert len(doubles.calls(app["application_id"], "loan-offer")) == 3  # 2 failures + 1 success, MaxAttempts 3


def test_concurrent_applications_do_not_mix(stack):
    """Two applications in flight at once (one waiting for a manager) keep their own variables and items."""
    waiting, quick = application(THRESHOLD), application(10_000)
    doubles.script(waiting["application_id"], assessment=doubles.Approve())
    doubles.script(quick["application_id"], assessment=doubles.Deny("credit denied: too many derogatory marks"))
    waiting_execution = start(stack, waiting)
    doubles.wait_for_manager_request(waiting["application_id"])

    quick_result = run(stack, quick)
    assert quick_result.output["application_id"] == quick["application_id"]
    assert quick_result.terminal_state == "Loan Denied"
    assert item(stack, waiting["application_id"], "APPROVAL") is not None  # untouched by the other decision

    request = doubles.MANAGER_REQUESTS[waiting["application_id"]]
    stack.sfn.send_task_success(
        taskToken=request["task_token"],
        output=json.dumps(
            {"approved": True, "manager": "Dana Reyes", "comment": "", "reason": "manager Dana Reyes approved"}
        ),
    )
    waiting_result = finish(stack, waiting_execution)
    assert waiting_result.output["application_id"] == waiting["application_id"]
    assert waiting_result.output["reason"] == "manager Dana Reyes approved"
    assert item(stack, waiting["application_id"], "APPROVAL") is None
