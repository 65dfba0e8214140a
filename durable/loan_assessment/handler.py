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
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.loan.models import AssessmentResult, BureauReport, CreditAssessment, FraudCheckResult, LoanApplication
from domain.loan.rules import BUREAUS, FRAUD_CHECK_TIMEOUT_SECONDS, assessment_after_fraud_check
from durable.task_token import run_for_task_token
from services.common.reply_to import ReplyTo
from services.loan.credit import pull_credit_report, score_credit
from services.loan.fraud import assess_after_fraud_check, request_fraud_check

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
def pull_bureau_report(step_context: StepContext, bureau: str, sin_last4: str) -> dict[str, Any]:
    return pull_credit_report(bureau, sin_last4).model_dump(mode="json")


@durable_step
def score(step_context: StepContext, application: dict[str, Any], reports: list[dict[str, Any]]) -> dict[str, Any]:
    loan = LoanApplication.model_validate(application)
    return score_credit(loan, [BureauReport.model_validate(report) for report in reports]).model_dump(mode="json")


@durable_step
def decide(
    step_context: StepContext, application: dict[str, Any], credit: dict[str, Any], **outcome: Any
) -> dict[str, Any]:
    loan, scored = LoanApplication.model_validate(application), CreditAssessment.model_validate(credit)
    return assess_after_fraud_check(loan, scored, **outcome).model_dump(mode="json")


def fraud_check_submitter(application: LoanApplication):
    def submit(callback_id: str, _context: Any) -> None:
        request_fraud_check(application, ReplyTo.callback(callback_id))

    return submit


def assess_application(context: DurableContext, application: LoanApplication) -> AssessmentResult:
    """The micro flow: bureaus in parallel, scoring, and if the credit is approved the fraud check."""
    sin = application.sin_last4
    branches = [
        lambda ctx, bureau=bureau: ctx.step(
            pull_bureau_report(bureau, sin), name=f"pull {bureau} report", config=BUREAU_RETRY
        )
        for bureau in BUREAUS
    ]
    pulled = context.parallel(branches, name="pull credit reports")
    if pulled.get_errors():
        raise CreditBureauUnavailable(f"{len(pulled.get_errors())} credit bureau(s) did not answer after retries")
    loan = application.model_dump(mode="json")
    credit = context.step(score(loan, pulled.get_results()), name="score credit")
    if credit["decision"] == "denied":
        return assessment_after_fraud_check(application, CreditAssessment.model_validate(credit), fraud=None)

    try:
        answer = context.wait_for_callback(fraud_check_submitter(application), name="fraud check", config=FRAUD_CHECK)
        outcome: dict[str, Any] = {"fraud": FraudCheckResult.model_validate(json.loads(answer))}
    except CallbackTimeoutError:
        outcome = {"timed_out": True}
    except CallbackError as error:
        outcome = {"failure": (type(error).__name__, str(error))}
    return AssessmentResult.model_validate(context.step(decide(loan, credit, **outcome), name="record fraud outcome"))


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    application = LoanApplication.model_validate(event["application"])
    return run_for_task_token(
        context, event["task_token"], lambda: assess_application(context, application).model_dump(mode="json")
    )
