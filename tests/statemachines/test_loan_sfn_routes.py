"""Every route of statemachines/loan-sfn.asl.json (pure Step Functions), on the local engine, with test doubles
for its Lambdas.

As for the hybrid (test_loan_routes.py): each test scripts the doubles for one application, runs the real
(placeholder-filled) definition and checks the path through the states, the terminal state, the output or the
error, the audit trail, the applicant's SNS message and which Lambdas were called with what. Here the credit
bureaus, the scoring and the fraud check are states of their own, so their routes are tested here too: the
three bureaus in parallel (retried, or failing), the fraud service's answer, failure or silence.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from domain.loan import rules
from duoflow.console.events import taken_path
from tests.statemachines import doubles
from tests.statemachines.conftest import (
    AUDIT,
    TIMEOUT_SCALE,
    TO_OFFER,
    Run,
    application,
    assert_decision_recorded,
    assert_processing_failed,
    finish,
    item,
    run,
    start,
    time_out_the_waiting_task,
)

THRESHOLD = rules.MANAGER_APPROVAL_THRESHOLD
TITLES = {"equifax": "Equifax", "transunion": "Transunion", "experian": "Experian"}

ENTRY = ["Record Application", "Pull Credit Reports", "Score Credit", "Credit Approved?"]
FRAUD_CHECK = ["Request Fraud Check", "Decide after Fraud Check", "Credit and Fraud Check Passed?"]
PULLS = [f"Pull {title} Report" for title in TITLES.values()]
UNAVAILABLE = [f"{title} Report Unavailable" for title in TITLES.values()]
APPROVED_WITHOUT_MANAGER = [*ENTRY, *FRAUD_CHECK, "Manager Approval Required?", *TO_OFFER, *AUDIT, "Loan Approved"]
UP_TO_SCORING = ["loan-intake", "loan-credit-scoring"]  # the bureaus are recorded by SIN, not by application
FRAUD_CALLS = ["loan-fraud-request", "loan-fraud-decision"]

_sins = itertools.count(5000)


def fresh_sin() -> str:
    """A SIN (last 4) no other test of this module uses: the bureau doubles are scripted and counted by SIN."""
    return f"{next(_sins):04d}"


def flow(result: Run) -> list[str]:
    """The states entered, without those inside the Parallel's branches (their order depends on threads)."""
    return [state for state in result.path if state not in PULLS and state not in UNAVAILABLE]


def branch_states(result: Run) -> Counter:
    return Counter(state for state in result.path if state in PULLS or state in UNAVAILABLE)


# --- 1. credit --------------------------------------------------------------------------------------------


def test_credit_denied_skips_the_fraud_check_and_ends_in_loan_denied_with_the_credit_reason(sfn_stack):
    app = application(25_000)
    app_id = app["application_id"]
    reason = "credit denied: debt-to-income 51.2% is above the 43.0% limit"
    doubles.script(app_id, credit=doubles.Deny(reason))

    result = run(sfn_stack, app)

    assert result.status == "SUCCEEDED"
    assert flow(result) == [
        *ENTRY,
        "Credit Denied: No Fraud Check Needed",
        "Deny: Credit or Fraud Check",
        *AUDIT,
        "Loan Denied",
    ]
    assert branch_states(result) == Counter(PULLS)  # each bureau asked once
    assert result.output == {"application_id": app_id, "outcome": "denied", "reason": reason}
    assert doubles.called(app_id) == UP_TO_SCORING  # no fraud check, no offer, no payout
    assert_decision_recorded(sfn_stack, app_id, "denied", reason)


def test_the_bureaus_get_only_the_sin_and_scoring_gets_their_reports_in_branch_order(sfn_stack):
    """The list is in the order of the branches, not of the answers: equifax (the first branch) is scripted to
    answer after another bureau, so its report is usually produced second or third; the list starts with it
    regardless. (A gate, not a guarantee: see doubles.BureauScript.answer_late.)"""
    sin = fresh_sin()
    app = application(25_000, sin_last4=sin)
    doubles.script(app["application_id"], credit=doubles.Deny())
    doubles.script_bureaus(sin, answer_late="equifax")

    result = run(sfn_stack, app)

    assert result.status == "SUCCEEDED"
    calls = doubles.bureau_calls(sin)
    assert {call.event["bureau"] for call in calls} == set(TITLES)
    # the SIN and the id its logs are keyed by: nothing else about the applicant
    assert all(set(call.event) == {"bureau", "sin_last4", "application_id"} for call in calls)
    assert sorted(doubles.bureau_answers(sin)) == sorted(TITLES)  # one report each
    [scoring] = doubles.calls(app["application_id"], "loan-credit-scoring")
    assert scoring.event["reports"] == [doubles.bureau_report(bureau) for bureau in TITLES]
    assert scoring.event["application"]["application_id"] == app["application_id"]


def test_a_bureau_failing_once_is_retried_and_the_run_continues(sfn_stack):
    sin = fresh_sin()
    app = application(25_000, sin_last4=sin)
    doubles.script(app["application_id"])
    doubles.script_bureaus(sin, failures={"transunion": 1})

    result = run(sfn_stack, app)

    assert result.status == "SUCCEEDED"
    assert flow(result) == APPROVED_WITHOUT_MANAGER, result.output
    assert branch_states(result) == Counter(PULLS)  # a retry stays in its state
    counts = {bureau: len(doubles.bureau_calls(sin, bureau)) for bureau in TITLES}
    assert counts == {"equifax": 1, "transunion": 2, "experian": 1}
    [failed] = [e for e in result.events if e["type"] == "TaskFailed"]  # the attempt that was retried
    assert failed["taskFailedEventDetails"]["error"] == "BureauUnavailable"
    [scoring] = doubles.calls(app["application_id"], "loan-credit-scoring")
    assert [report["bureau"] for report in scoring.event["reports"]] == list(TITLES)


def test_a_bureau_that_never_answers_ends_in_loan_processing_failed(sfn_stack):
    sin = fresh_sin()
    app = application(25_000, sin_last4=sin)
    app_id = app["application_id"]
    doubles.script(app_id)
    doubles.script_bureaus(sin, failures={"experian": doubles.ALWAYS})

    result = run(sfn_stack, app)

    assert flow(result) == [*ENTRY[:2], "Record Processing Failure", "Loan Processing Failed"]
    assert "Experian Report Unavailable" in result.path
    assert len(doubles.bureau_calls(sin, "experian")) == 3  # the first attempt and 2 retries
    rest = assert_processing_failed(sfn_stack, result, app_id, "CreditBureauUnavailable")
    assert rest == "experian did not answer after 3 attempts (BureauUnavailable)"
    assert doubles.called(app_id) == ["loan-intake"]  # nothing scored, nothing asked of the fraud service


# --- 2. fraud check -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [25_000, THRESHOLD - 0.01], ids=["25000", "just-under-threshold"])
def test_approved_under_the_threshold_is_offered_and_disbursed_without_a_manager(sfn_stack, amount):
    app = application(amount)
    app_id = app["application_id"]
    reason = "credit approved: near-prime tier at 7.50%, debt-to-income 31.0%"
    doubles.script(app_id, credit=doubles.Approve(reason), fraud=doubles.FraudPassed())

    result = run(sfn_stack, app)

    assert result.status == "SUCCEEDED"
    assert flow(result) == APPROVED_WITHOUT_MANAGER, result.output
    assert doubles.called(app_id) == [*UP_TO_SCORING, *FRAUD_CALLS, "loan-offer", "loan-disbursement"]

    [request] = doubles.calls(app_id, "loan-fraud-request")
    assert set(request.event) == {"task_token", "application"} and request.event["task_token"]
    assert request.event["application"]["loan_amount"] == amount
    [decision] = doubles.calls(app_id, "loan-fraud-decision")
    credit = decision.event["credit"]  # what Score Credit returned
    assert (credit["decision"], credit["reason"], credit["average_score"]) == ("approved", reason, 710)
    assert decision.event == {
        "application": request.event["application"],
        "credit": credit,
        "fraud": {"passed": True, "risk_indicators": 0, "checked_by": "FraudServiceDouble"},
    }
    [offer_call] = doubles.calls(app_id, "loan-offer")
    assessment = offer_call.event["assessment"]  # the decision's AssessmentResult, read as in the hybrid
    assert (assessment["decision"], assessment["reason"], assessment["credit"]) == ("approved", reason, credit)

    offer = result.output["offer"]
    assert offer["principal"] == amount and offer["annual_rate_percent"] == 5.25
    assert result.output == {
        "application_id": app_id,
        "outcome": "approved",
        "reason": reason,
        "offer": offer,
        "disbursement_reference": f"DSB-TEST-{app_id}",
    }
    assert_decision_recorded(sfn_stack, app_id, "approved", reason)


def test_fraud_flagged_is_denied_with_the_decisions_reason(sfn_stack):
    app = application(25_000)
    app_id = app["application_id"]
    doubles.script(app_id, fraud=doubles.FraudFlagged(risk_indicators=2))

    result = run(sfn_stack, app)

    reason = "fraud check flagged the application (2)"  # the decision double's wording
    assert result.status == "SUCCEEDED"
    assert flow(result) == [*ENTRY, *FRAUD_CHECK, "Deny: Credit or Fraud Check", *AUDIT, "Loan Denied"]
    assert result.output == {"application_id": app_id, "outcome": "denied", "reason": reason}
    assert doubles.called(app_id) == [*UP_TO_SCORING, *FRAUD_CALLS]
    assert_decision_recorded(sfn_stack, app_id, "denied", reason)


def test_fraud_service_failure_reaches_the_decision_as_the_caught_error(sfn_stack):
    app = application(25_000)
    app_id = app["application_id"]
    cause = "FraudCheckService-v2 could not reach its data provider"
    doubles.script(app_id, fraud=doubles.FailTask("FraudServiceUnavailable", cause))

    result = run(sfn_stack, app)

    assert result.status == "SUCCEEDED"
    assert flow(result) == [*ENTRY, *FRAUD_CHECK, "Deny: Credit or Fraud Check", *AUDIT, "Loan Denied"]
    [decision] = doubles.calls(app_id, "loan-fraud-decision")
    assert set(decision.event) == {"application", "credit", "error"}
    assert decision.event["error"] == {"Error": "FraudServiceUnavailable", "Cause": cause}
    reason = "fraud check failed: FraudServiceUnavailable"
    assert result.output["reason"] == reason
    assert_decision_recorded(sfn_stack, app_id, "denied", reason)


def test_fraud_service_silence_times_out_after_the_modelled_five_minutes(sfn_stack):
    app = application(25_000)
    app_id = app["application_id"]
    doubles.script(app_id, fraud=doubles.Silent())
    began = time.monotonic()

    result = run(sfn_stack, app)
    elapsed = time.monotonic() - began

    assert result.status == "SUCCEEDED"
    assert flow(result) == [*ENTRY, *FRAUD_CHECK, "Deny: Credit or Fraud Check", *AUDIT, "Loan Denied"]
    [timed_out] = [e for e in result.events if e["type"] == "TaskTimedOut"]
    assert timed_out["taskTimedOutEventDetails"]["error"] == "States.Timeout"
    # the console draws the timeout's Catch as the edge taken (the Next to the same state is not)
    path = taken_path(result.events, json.loads(sfn_stack.definition), result.status)
    assert {"from": "Request Fraud Check", "to": "Decide after Fraud Check", "caught": True} in path
    assert {"from": "Request Fraud Check", "to": "Decide after Fraud Check", "caught": False} not in path
    [decision] = doubles.calls(app_id, "loan-fraud-decision")
    assert decision.event["error"]["Error"] == "States.Timeout"
    assert "fraud" not in decision.event
    modelled_wait = rules.FRAUD_CHECK_TIMEOUT_SECONDS * TIMEOUT_SCALE
    assert modelled_wait <= elapsed < modelled_wait + 8
    assert_decision_recorded(sfn_stack, app_id, "denied", "fraud check failed: States.Timeout")


def test_a_fraud_request_that_cannot_be_sent_is_decided_as_a_failed_check(sfn_stack):
    app = application(25_000)
    app_id = app["application_id"]
    doubles.script(app_id, fraud_request_error="FraudServiceRefused")

    result = run(sfn_stack, app)

    assert result.terminal_state == "Loan Denied"
    [decision] = doubles.calls(app_id, "loan-fraud-decision")
    assert decision.event["error"]["Error"] == "FraudServiceRefused"
    assert json.loads(decision.event["error"]["Cause"])["errorType"] == "FraudServiceRefused"  # the Lambda error
    assert len(doubles.calls(app_id, "loan-fraud-request")) == 1  # a business error is not retried


# --- 3. manager approval at the threshold ---------------------------------------------------------------------


@pytest.mark.parametrize("approved", [True, False], ids=["manager-approves", "manager-declines"])
def test_amount_at_the_threshold_waits_for_the_managers_decision(sfn_stack, approved):
    app = application(THRESHOLD)  # inclusive: exactly the threshold needs a manager
    app_id = app["application_id"]
    doubles.script(app_id)
    execution = start(sfn_stack, app)

    request = doubles.wait_for_manager_request(app_id)
    assert request["application"]["loan_amount"] == THRESHOLD
    assessment = request["assessment"]  # the fraud decision's AssessmentResult, as the hybrid passes it
    assert set(assessment) == {"application_id", "decision", "reason", "credit", "fraud"}
    assert assessment["decision"] == "approved" and assessment["fraud"]["passed"] is True
    assert item(sfn_stack, app_id, "APPROVAL") is not None
    assert sfn_stack.sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"

    verdict = "approved" if approved else "denied"
    reason = f"manager Dana Reyes {verdict}: checked"
    sfn_stack.sfn.send_task_success(
        taskToken=request["task_token"],
        output=json.dumps({"approved": approved, "manager": "Dana Reyes", "comment": "checked", "reason": reason}),
    )
    result = finish(sfn_stack, execution)

    assert result.status == "SUCCEEDED"
    head = [*ENTRY, *FRAUD_CHECK, "Manager Approval Required?", "Request Manager Approval", "Manager Approved?"]
    if approved:
        assert flow(result) == [*head, *TO_OFFER, *AUDIT, "Loan Approved"]
        assert result.output["reason"] == reason
        assert doubles.called(app_id)[-2:] == ["loan-offer", "loan-disbursement"]
    else:
        assert flow(result) == [*head, "Deny: Manager Declined", *AUDIT, "Loan Denied"]
        assert result.output == {"application_id": app_id, "outcome": "denied", "reason": reason}
        assert "loan-offer" not in doubles.called(app_id)
    assert_decision_recorded(sfn_stack, app_id, verdict, reason)


def test_no_manager_decision_denies_after_the_modelled_timeout(sfn_stack):
    app = application(THRESHOLD + 50_000)
    app_id = app["application_id"]
    doubles.script(app_id)
    waiting = sfn_stack.runtime.pending_timeouts()
    execution = start(sfn_stack, app)
    request = doubles.wait_for_manager_request(app_id)

    # 30 modelled minutes, neither fewer nor waited out in real time
    time_out_the_waiting_task(sfn_stack, execution, rules.MANAGER_APPROVAL_TIMEOUT_SECONDS, waiting)
    result = finish(sfn_stack, execution)

    assert result.status == "SUCCEEDED"
    assert flow(result) == [
        *ENTRY,
        *FRAUD_CHECK,
        "Manager Approval Required?",
        "Request Manager Approval",
        "Deny: No Manager Decision",
        *AUDIT,
        "Loan Denied",
    ]
    assert result.output == {"application_id": app_id, "outcome": "denied", "reason": rules.NO_MANAGER_DECISION_REASON}
    assert "loan-offer" not in doubles.called(app_id)
    assert_decision_recorded(sfn_stack, app_id, "denied", rules.NO_MANAGER_DECISION_REASON)
    with pytest.raises(ClientError) as late:
        sfn_stack.sfn.send_task_success(taskToken=request["task_token"], output=json.dumps({"approved": True}))
    assert late.value.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")


# --- 4. invalid application, and failures routed to "Record Processing Failure" ------------------------------


def test_invalid_application_is_rejected_by_its_own_fail_state(sfn_stack):
    app = application(25_000)
    doubles.script(app["application_id"], intake_error="ApplicationInvalid", intake_message="sin_last4: 4 digits")

    result = run(sfn_stack, app)

    assert result.status == "FAILED"
    assert result.path == ["Record Application", "Application Rejected as Invalid"]
    assert result.description["error"] == "ApplicationInvalid"
    assert doubles.called(app["application_id"]) == ["loan-intake"]
    assert item(sfn_stack, app["application_id"], "STATUS") is None


TO_ROUTING = [*ENTRY, *FRAUD_CHECK, "Manager Approval Required?"]


@pytest.mark.parametrize(
    ("behaviour", "failing", "reached"),
    [
        ({"scoring_error": "ScoreModelMissing"}, "loan-credit-scoring", ENTRY[:3]),
        ({"fraud_decision_error": "ProgressTableUnavailable"}, "loan-fraud-decision", [*ENTRY, *FRAUD_CHECK[:2]]),
        ({"offer_error": "RateTableMissing"}, "loan-offer", [*TO_ROUTING, "Generate Loan Offer"]),
        ({"disbursement_error": "PaymentRailDown"}, "loan-disbursement", [*TO_ROUTING, *TO_OFFER]),
    ],
    ids=["scoring-fails", "fraud-decision-fails", "offer-fails", "disbursement-fails"],
)
def test_a_failing_step_is_a_processing_failure(sfn_stack, behaviour, failing, reached):
    app = application(25_000)
    app_id = app["application_id"]
    doubles.script(app_id, **behaviour)
    [error] = behaviour.values()

    result = run(sfn_stack, app)

    assert flow(result) == [*reached, "Record Processing Failure", "Loan Processing Failed"]
    rest = assert_processing_failed(sfn_stack, result, app_id, error)
    assert json.loads(rest)["errorType"] == error  # then the Lambda error itself
    assert doubles.called(app_id)[-1] == failing  # nothing called after the failure
    assert len(doubles.calls(app_id, failing)) == 1  # a business error is not retried
