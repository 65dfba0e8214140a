"""Hybrid loan, micro flow: credit assessment and fraud check, as one durable function.

Called by the state machine's "Assess Credit and Fraud" Task with the application and a task token:
  1. pull the three bureau reports in parallel (each a step, retried on its own),
  2. score the credit (risk tier, debt-to-income, decision),
  3. if the credit is approved: ask the external fraud service and wait for its callback (5 minutes at most),
  4. answer the task token with the assessment.
Every side effect (bureau calls, progress entries, the fraud request, the answer) happens inside a step, so a
replay repeats none of them. Replay rules: durable/README.md.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.loan.models import AssessmentResult, BureauReport, CreditAssessment, FraudCheckResult, LoanApplication
from domain.loan.rules import (
    BUREAUS,
    FRAUD_CHECK_TIMEOUT_SECONDS,
    FRAUD_TIMEOUT_REASON,
    assess_credit,
    assessment_after_fraud_check,
    fraud_failure_reason,
)
from durable.task_token import run_for_task_token
from services.common.bootstrap import adapters
from services.common.progress import ProgressEntry

BUREAU_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(2), backoff_rate=2)
    )
)
FRAUD_CHECK = WaitForCallbackConfig(
    timeout=Duration.from_seconds(FRAUD_CHECK_TIMEOUT_SECONDS),
    retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1))),
)


class CreditBureauUnavailable(Exception):
    """A bureau kept failing after its retries; the workflow cannot decide without its report."""


@durable_step
def pull_report(step_context: StepContext, bureau: str, sin_last4: str) -> dict[str, Any]:
    return adapters().bureaus.pull(bureau, sin_last4).model_dump(mode="json")


@durable_step
def score_credit(
    step_context: StepContext, application: dict[str, Any], reports: list[dict[str, Any]]
) -> dict[str, Any]:
    loan = LoanApplication.model_validate(application)
    credit = assess_credit(loan, [BureauReport.model_validate(report) for report in reports])
    adapters().progress.record(
        loan.application_id,
        ProgressEntry(
            "credit-assessed",
            step="credit assessment",
            message=f"average score {credit.average_score}, {credit.risk_tier.name} tier, "
            f"debt-to-income {credit.estimated_dti:.1%}: {credit.reason}",
        ),
    )
    return credit.model_dump(mode="json")


@durable_step
def record_fraud_outcome(step_context: StepContext, application_id: str, message: str) -> None:
    adapters().progress.record(application_id, ProgressEntry("fraud-checked", step="fraud check", message=message))


def request_fraud_check(application: LoanApplication):
    def submit(callback_id: str, _context: Any) -> None:
        adapters().lambda_client.invoke(
            FunctionName=os.environ["FRAUD_SERVICE_FUNCTION"],
            InvocationType="Event",
            Payload=json.dumps({"callback_id": callback_id, "application": application.model_dump(mode="json")}),
        )
        adapters().progress.record(
            application.application_id,
            ProgressEntry(
                "fraud-requested", step="fraud check", message="fraud check requested from the external service"
            ),
        )

    return submit


def assess_application(context: DurableContext, application: LoanApplication) -> AssessmentResult:
    branches = [
        lambda ctx, bureau=bureau: ctx.step(
            pull_report(bureau, application.sin_last4), name=f"pull {bureau} report", config=BUREAU_RETRY
        )
        for bureau in BUREAUS
    ]
    pulled = context.parallel(branches, name="pull credit reports")
    if pulled.get_errors():
        raise CreditBureauUnavailable(f"{len(pulled.get_errors())} credit bureau(s) did not answer after retries")
    credit = CreditAssessment.model_validate(
        context.step(score_credit(application.model_dump(mode="json"), pulled.get_results()), name="score credit")
    )
    if credit.decision == "denied":
        return assessment_after_fraud_check(application, credit, fraud=None)

    fraud, problem = None, None
    try:
        answer = context.wait_for_callback(request_fraud_check(application), name="fraud check", config=FRAUD_CHECK)
        fraud = FraudCheckResult.model_validate(json.loads(answer))
    except CallbackTimeoutError:
        problem = FRAUD_TIMEOUT_REASON
    except CallbackError as error:
        problem = fraud_failure_reason(type(error).__name__, str(error))
    result = assessment_after_fraud_check(application, credit, fraud, problem)
    context.step(
        record_fraud_outcome(application.application_id, problem or ("passed" if fraud.passed else result.reason)),
        name="record fraud outcome",
    )
    return result


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    application = LoanApplication.model_validate(event["application"])
    return run_for_task_token(
        context, event["task_token"], lambda: assess_application(context, application).model_dump(mode="json")
    )
