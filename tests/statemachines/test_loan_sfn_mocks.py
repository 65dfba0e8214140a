"""statemachines/loan-sfn.asl.json's routes as Step Functions Local test cases: the mock configuration file
tests/statemachines/fixtures/loan-sfn-mock-config.json, loaded by the runtime's ``sfn_mock_config`` fixture
(duoflow/runtime/pytest_plugin.py), each test case started as ``loan-sfn#TestCase`` on the deployed stack.

Each test case mocks the Lambda tasks it passes through (the intake's result decides the application id, so each
test case has its own); the SNS notification and the DynamoDB audit trail are not mocked and run for real, so the
decision is recorded as in the route tests (test_loan_sfn_routes.py). No Lambda double is called unless a test
case leaves its state unmocked: FraudCheckFails lets the real "Decide after Fraud Check" (its double) decide on
the mocked failure, as AWS's HybridPath example does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.loan import rules
from tests.statemachines import doubles
from tests.statemachines.conftest import AUDIT, TO_OFFER, Run, assert_decision_recorded, finish, unique

MOCK_CONFIG = Path(__file__).parent / "fixtures" / "loan-sfn-mock-config.json"
PULLS = ["Pull Equifax Report", "Pull Transunion Report", "Pull Experian Report"]
ENTRY = ["Record Application", "Pull Credit Reports", "Score Credit", "Credit Approved?"]
FRAUD_CHECK = ["Request Fraud Check", "Decide after Fraud Check", "Credit and Fraud Check Passed?"]
CREDIT_REASON = "credit approved: prime tier at 5.25%, debt-to-income 20.0%"


@pytest.fixture
def sfn_mock_config_file() -> Path:
    return MOCK_CONFIG


def run_case(stack, test_case: str, application_id: str) -> Run:
    """Start loan-sfn on ``test_case`` (the input only matters to unmocked states, which read the id from it)."""
    execution = stack.sfn.start_execution(
        stateMachineArn=f"{stack.state_machine_arn}#{test_case}",
        name=unique(test_case),
        input=json.dumps({"application_id": application_id}),
    )
    return finish(stack, execution["executionArn"])


def flow(result: Run) -> list[str]:
    return [state for state in result.path if state not in PULLS]


def task_errors(result: Run) -> list[str]:
    """The error of every failed task attempt, in order."""
    return [event["taskFailedEventDetails"]["error"] for event in result.events if event["type"] == "TaskFailed"]


def test_approved_without_a_manager_after_a_bureau_answers_on_its_third_attempt(sfn_stack, sfn_mock_config):
    result = run_case(sfn_stack, "ApprovedWithoutManager", "mock-approved")

    assert result.status == "SUCCEEDED", result.description
    assert flow(result) == [*ENTRY, *FRAUD_CHECK, "Manager Approval Required?", *TO_OFFER, *AUDIT, "Loan Approved"]
    # invocations 0 and 1 threw, the branch's Retry (States.ALL, MaxAttempts 2) asked again, invocation 2 answered
    assert task_errors(result) == ["BureauUnavailable", "BureauUnavailable"]
    assert result.output["disbursement_reference"] == "DSB-MOCK-0001"
    assert result.output["offer"]["principal"] == 25_000
    assert (result.output["outcome"], result.output["reason"]) == ("approved", CREDIT_REASON)
    assert_decision_recorded(sfn_stack, "mock-approved", "approved", CREDIT_REASON)  # SNS and DynamoDB for real
    assert doubles.called("mock-approved") == [] and doubles.bureau_calls("1111") == []  # all answered by mocks


def test_denied_by_credit_skips_the_fraud_check(sfn_stack, sfn_mock_config):
    result = run_case(sfn_stack, "DeniedByCredit", "mock-denied-by-credit")

    reason = "credit denied: credit score too low (deep-subprime tier, average score 548)"
    assert result.status == "SUCCEEDED", result.description
    assert flow(result) == [
        *ENTRY,
        "Credit Denied: No Fraud Check Needed",
        "Deny: Credit or Fraud Check",
        *AUDIT,
        "Loan Denied",
    ]
    assert result.output == {"application_id": "mock-denied-by-credit", "outcome": "denied", "reason": reason}
    assert_decision_recorded(sfn_stack, "mock-denied-by-credit", "denied", reason)
    assert doubles.called("mock-denied-by-credit") == []


def test_a_failing_fraud_check_is_caught_and_the_real_decision_denies(sfn_stack, sfn_mock_config):
    doubles.script("mock-fraud-check-fails")  # the one unmocked Lambda task: Decide after Fraud Check's double

    result = run_case(sfn_stack, "FraudCheckFails", "mock-fraud-check-fails")

    reason = "fraud check failed: FraudServiceUnavailable"  # the decision double's wording
    assert result.status == "SUCCEEDED", result.description
    assert flow(result) == [*ENTRY, *FRAUD_CHECK, "Deny: Credit or Fraud Check", *AUDIT, "Loan Denied"]
    assert doubles.called("mock-fraud-check-fails") == ["loan-fraud-decision"]
    [decision] = doubles.calls("mock-fraud-check-fails", "loan-fraud-decision")
    assert decision.event["error"] == {
        "Error": "FraudServiceUnavailable",
        "Cause": "FraudCheckService-v2 could not reach its data provider",
    }
    assert decision.event["credit"]["reason"] == CREDIT_REASON  # Score Credit's mocked result, carried on
    assert_decision_recorded(sfn_stack, "mock-fraud-check-fails", "denied", reason)


def test_a_manager_approval_answers_its_task_token_at_once(sfn_stack, sfn_mock_config):
    result = run_case(sfn_stack, "ManagerApproves", "mock-manager-approves")

    reason = "approved by Dana Whitfield: steady income, low debt"
    assert result.status == "SUCCEEDED", result.description
    assert flow(result) == [
        *ENTRY,
        *FRAUD_CHECK,
        "Manager Approval Required?",
        "Request Manager Approval",
        "Manager Approved?",
        *TO_OFFER,
        *AUDIT,
        "Loan Approved",
    ]
    assert (result.output["outcome"], result.output["reason"]) == ("approved", reason)
    assert result.output["offer"]["principal"] == 150_000
    assert_decision_recorded(sfn_stack, "mock-manager-approves", "approved", reason)
    assert doubles.called("mock-manager-approves") == []  # no approval was filed: nobody waits on it


def test_no_manager_decision_takes_the_timeout_route(sfn_stack, sfn_mock_config):
    result = run_case(sfn_stack, "NoManagerDecision", "mock-no-manager-decision")

    reason = rules.NO_MANAGER_DECISION_REASON
    assert result.status == "SUCCEEDED", result.description
    assert flow(result) == [
        *ENTRY,
        *FRAUD_CHECK,
        "Manager Approval Required?",
        "Request Manager Approval",
        "Deny: No Manager Decision",
        *AUDIT,
        "Loan Denied",
    ]
    assert task_errors(result) == ["States.Timeout"]  # the mocked timeout, caught by its own Catch
    assert result.output == {"application_id": "mock-no-manager-decision", "outcome": "denied", "reason": reason}
    assert_decision_recorded(sfn_stack, "mock-no-manager-decision", "denied", reason)


def test_every_test_case_of_the_file_is_run_here():
    from duoflow.runtime.sfn_mocks import MockConfig

    assert MockConfig.load(MOCK_CONFIG).state_machines == {
        "loan-sfn": [
            "ApprovedWithoutManager",
            "DeniedByCredit",
            "FraudCheckFails",
            "ManagerApproves",
            "NoManagerDecision",
        ]
    }
