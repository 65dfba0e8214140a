"""The fraud check as every variant runs it: ask the external service (with a durable callback id or a Step
Functions task token to answer), then decide with its answer, its failure or its silence."""

from __future__ import annotations

import json
import os
from typing import Any

from domain.loan.models import (
    AssessmentResult,
    CreditAssessment,
    FraudCheckOutcome,
    FraudCheckResult,
    LoanApplication,
)
from domain.loan.rules import assessment_after_fraud_check, fraud_check_reason, fraud_check_result
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged, passed_on_log_context
from services.common.progress import ProgressEntry
from services.common.reply_to import ReplyTo


def request_fraud_check(adapters: Adapters, application: LoanApplication, reply_to: ReplyTo) -> None:
    """The service answers through ``reply_to`` (a durable callback id or a Step Functions task token)."""
    adapters.lambda_client.invoke(
        FunctionName=os.environ["FRAUD_SERVICE_FUNCTION"],
        InvocationType="Event",
        Payload=json.dumps(
            {**reply_to.as_fields(), "application": application.model_dump(mode="json"), **passed_on_log_context()}
        ),
    )
    adapters.progress.record(
        application.application_id,
        ProgressEntry("fraud-requested", step="fraud check", message="fraud check requested from the external service"),
    )


def assess_after_fraud_check(
    adapters: Adapters, application: LoanApplication, credit: CreditAssessment, fraud: FraudCheckOutcome
) -> AssessmentResult:
    """The assessment once the fraud check answered, failed or timed out; records what it came to."""
    result = assessment_after_fraud_check(application, credit, fraud)
    adapters.progress.record(
        application.application_id,
        ProgressEntry(
            "fraud-checked", step="fraud check", message=fraud_check_reason(fraud), outcome=fraud_check_result(fraud)
        ),
    )
    return result


@logged(at("application", "application_id"))
def request_handler(event: dict[str, Any], context: Any) -> None:
    """Task "Request Fraud Check" (.waitForTaskToken): forwards the task token to the fraud service."""
    request_fraud_check(
        wired(), LoanApplication.model_validate(event["application"]), ReplyTo.task_token(event["task_token"])
    )


@logged(at("application", "application_id"))
def decision_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Decide after Fraud Check": {"application", "credit", and one of "fraud" (the service's answer),
    "error" (the caught error: {"Error", "Cause"})} → the assessment."""
    application = LoanApplication.model_validate(event["application"])
    credit = CreditAssessment.model_validate(event["credit"])
    return assess_after_fraud_check(wired(), application, credit, fraud_outcome_of_task(event)).model_dump(mode="json")


def fraud_outcome_of_task(event: dict[str, Any]) -> FraudCheckOutcome:
    """The fraud outcome as the state machine hands it over: the answer, or the error its Catch caught."""
    error = event.get("error")
    if error is None:
        return FraudCheckOutcome.answered(FraudCheckResult.model_validate(event["fraud"]))
    if error.get("Error") == "States.Timeout":
        return FraudCheckOutcome.timed_out()
    return FraudCheckOutcome.failed(error.get("Error", ""), _readable_cause(error.get("Cause")))


def _readable_cause(cause: str | None) -> str:
    """A Lambda error's Cause is its error JSON (with a stack trace); the applicant's reason is its message."""
    try:
        parsed = json.loads(cause or "")
    except json.JSONDecodeError:
        return cause or ""
    return parsed.get("errorMessage", cause) if isinstance(parsed, dict) else cause
