"""The pure Step Functions variant's "Decide after Fraud Check": a caught error becomes a readable reason."""

import json

from domain.loan.rules import BUREAUS, assess_credit
from domain.loan.validation import validate_application
from services.common import bootstrap
from services.common.progress import InMemoryProgressLog
from services.loan.fraud import assess_after_fraud_check, fraud_outcome_of_task
from services.simulated.credit_bureaus import simulated_credit_report

CHARLIE = validate_application(
    {
        "application_id": "c-1",
        "applicant_name": "Charlie Wilson",
        "sin_last4": "3333",
        "annual_income": 70000,
        "loan_amount": 25000,
        "loan_purpose": "car",
    }
)


def decide(error: dict) -> dict:
    """What "Decide after Fraud Check" answers when the state machine caught ``error`` from the fraud check."""
    credit = assess_credit(CHARLIE, [simulated_credit_report(bureau, CHARLIE.sin_last4) for bureau in BUREAUS])
    event = {"application": CHARLIE.model_dump(mode="json"), "credit": credit.model_dump(mode="json"), "error": error}
    adapters = bootstrap.bootstrap(progress=InMemoryProgressLog())
    return assess_after_fraud_check(adapters, CHARLIE, credit, fraud_outcome_of_task(event)).model_dump(mode="json")


def test_a_service_failure_gives_its_message():
    result = decide({"Error": "FraudServiceUnavailable", "Cause": "provider unreachable"})
    assert (result["decision"], result["reason"]) == ("denied", "fraud check failed: provider unreachable")


def test_a_failed_lambda_gives_its_error_message_not_its_stack_trace():
    cause = json.dumps({"errorType": "KeyError", "errorMessage": "'application'", "stackTrace": ["  File ..."]})
    result = decide({"Error": "KeyError", "Cause": cause})
    assert result["reason"] == "fraud check failed: 'application'"


def test_a_timeout_gives_the_timeout_reason():
    assert (
        decide({"Error": "States.Timeout", "Cause": ""})["reason"]
        == "fraud check timed out: no answer within 5 minutes"
    )
