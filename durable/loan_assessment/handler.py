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

from typing import Any

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import (
    Duration,
    ParallelBranch,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.loan.models import (
    AssessmentResult,
    BureauReport,
    CreditAssessment,
    FraudCheckOutcome,
    LoanApplication,
)
from domain.loan.rules import BUREAUS, FRAUD_CHECK_TIMEOUT_SECONDS, assessment_after_fraud_check
from durable.task_token import run_for_task_token
from durable.typed_steps import parallel_of, run_step
from durable.wiring import durable_handler
from services.common.bootstrap import Adapters
from services.common.log import at
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
CREDIT_REPORTS = parallel_of(BureauReport)  # each branch's result is a bureau's report


class CreditBureauUnavailable(Exception):
    """A bureau kept failing after its retries; the workflow cannot decide without its report."""


def credit_report_branch(adapters: Adapters, bureau: str, sin_last4: str) -> ParallelBranch[BureauReport]:
    def pull(context: DurableContext) -> BureauReport:
        return run_step(
            context,
            f"pull {bureau} report",
            pull_credit_report,
            adapters,
            bureau,
            sin_last4,
            returns=BureauReport,
            config=BUREAU_RETRY,
        )

    return ParallelBranch(pull, name=f"{bureau} report")


def fraud_check_submitter(adapters: Adapters, application: LoanApplication):
    def submit(callback_id: str, _context: Any) -> None:
        request_fraud_check(adapters, application, ReplyTo.callback(callback_id))

    return submit


def fraud_check(context: DurableContext, adapters: Adapters, application: LoanApplication) -> FraudCheckOutcome:
    """Ask the fraud service and wait for its callback: its answer, its failure, or its silence."""
    try:
        answer = context.wait_for_callback(
            fraud_check_submitter(adapters, application), name="fraud check", config=FRAUD_CHECK
        )
    except CallbackTimeoutError:
        return FraudCheckOutcome.timed_out()
    except CallbackError as error:
        return FraudCheckOutcome.failed(type(error).__name__, str(error))
    return FraudCheckOutcome.answered_with(answer)


def assess_application(context: DurableContext, adapters: Adapters, application: LoanApplication) -> AssessmentResult:
    """The micro flow: bureaus in parallel, scoring, and if the credit is approved the fraud check."""
    branches = [credit_report_branch(adapters, bureau, application.sin_last4) for bureau in BUREAUS]
    pulled = context.parallel(branches, name="pull credit reports", config=CREDIT_REPORTS)
    if pulled.get_errors():
        raise CreditBureauUnavailable(f"{len(pulled.get_errors())} credit bureau(s) did not answer after retries")
    credit = run_step(
        context, "score credit", score_credit, adapters, application, pulled.get_results(), returns=CreditAssessment
    )
    if credit.decision == "denied":
        return assessment_after_fraud_check(application, credit, fraud=None)
    fraud = fraud_check(context, adapters, application)
    return run_step(
        context,
        "record fraud outcome",
        assess_after_fraud_check,
        adapters,
        application,
        credit,
        fraud,
        returns=AssessmentResult,
    )


def assess_for_the_workflow(adapters: Adapters, event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event``: {"application", "task_token"}; the assessment answers the task token."""
    application = LoanApplication.model_validate(event["application"])
    return run_for_task_token(
        context,
        adapters,
        event["task_token"],
        lambda: assess_application(context, adapters, application).model_dump(mode="json"),
    )


handler = durable_handler(assess_for_the_workflow, at("application", "application_id"), variant="hybrid")
