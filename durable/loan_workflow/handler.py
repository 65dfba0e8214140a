"""Pure durable loan: the whole loan process in one durable function.

The same business process as the hybrid (statemachines/loan.asl.json), with the same outcome, applicant
notification and audit trail for the same input; here Python orchestrates instead of Step Functions:
  1. record the application (an invalid one fails the execution with ApplicationInvalid, nothing else runs),
  2. assess credit and fraud (durable/loan_assessment's micro flow, reused as is),
  3. $100,000 or more: wait for a manager's answer, 30 minutes at most,
  4. approved: generate the offer and disburse the funds (exactly once),
  5. notify the applicant and record the decision in the audit trail.
A failure after intake marks the application failed, as the state machine's "Record Processing Failure"
does, and fails the execution. Every side effect happens inside a step. Replay rules: durable/README.md.
"""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import (
    CallbackTimeoutError,
    DurableOperationError,
    StepError,
    UnrecoverableError,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.loan.models import AssessmentResult, LoanApplication, LoanOffer, LoanOutcome, ManagerDecision
from domain.loan.rules import (
    MANAGER_APPROVAL_TIMEOUT_SECONDS,
    NO_MANAGER_DECISION_REASON,
    requires_manager_approval,
)
from domain.loan.validation import ApplicationInvalid, FieldError
from durable.loan_assessment.handler import assess_application
from services.common.bootstrap import adapters
from services.common.notifier import applicant_subject
from services.common.reply_to import ReplyTo
from services.loan.disbursement import disburse
from services.loan.intake import record_application
from services.loan.manager_approval import request_manager_approval
from services.loan.offer import make_offer


def _retries(max_attempts: int, first_delay_seconds: int) -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts, initial_delay=Duration.from_seconds(first_delay_seconds), backoff_rate=2
            )
        )
    )


# The state machine's retries, so both variants give up after the same attempts (an ASL MaxAttempts of 3 is
# three retries after the first attempt; the SDK's max_attempts counts the first one too).
SERVICE_RETRY = _retries(4, 1)
NOTIFY_RETRY = _retries(4, 2)
MANAGER_APPROVAL = WaitForCallbackConfig(timeout=Duration.from_seconds(MANAGER_APPROVAL_TIMEOUT_SECONDS))


def processing_failure_reason(error_name: str) -> str:
    """The status reason of an application whose workflow failed; the state machines write the same one."""
    return f"processing failed: {error_name} (the execution history has the cause)"


# --- steps: each is one side effect, with a JSON result ----------------------------------------------------


@durable_step
def intake(step_context: StepContext, event: Any) -> dict[str, Any]:
    """The application, or the rules it breaks: an invalid application is an answer, not a failure to retry."""
    try:
        return {"application": record_application(event).model_dump(mode="json")}
    except ApplicationInvalid as invalid:
        return {"invalid": [{"field": error.field, "rule": error.rule} for error in invalid.errors]}


@durable_step
def offer_for(step_context: StepContext, application: dict[str, Any], assessment: dict[str, Any]) -> dict[str, Any]:
    loan, assessed = LoanApplication.model_validate(application), AssessmentResult.model_validate(assessment)
    return make_offer(loan, assessed).model_dump(mode="json")


@durable_step
def pay_out(step_context: StepContext, application: dict[str, Any], offer: dict[str, Any]) -> dict[str, Any]:
    return disburse(LoanApplication.model_validate(application), LoanOffer.model_validate(offer))


@durable_step
def notify(step_context: StepContext, outcome: dict[str, Any]) -> None:
    adapters().applicant_notifier.notify(applicant_subject(outcome), outcome)


@durable_step
def record_decision(step_context: StepContext, outcome: dict[str, Any]) -> None:
    adapters().progress.record_decision(outcome["application_id"], outcome)


@durable_step
def mark_failed(step_context: StepContext, application_id: str, error_name: str) -> None:
    adapters().progress.set_status(application_id, status="failed", reason=processing_failure_reason(error_name))


# --- the process ----------------------------------------------------------------------------------------------


def recorded_application(context: DurableContext, event: Any) -> LoanApplication:
    recorded = context.step(intake(event), name="record application", config=SERVICE_RETRY)
    if "invalid" in recorded:
        raise ApplicationInvalid([FieldError(**error) for error in recorded["invalid"]])
    return LoanApplication.model_validate(recorded["application"])


def manager_approval_submitter(application: LoanApplication, assessment: AssessmentResult):
    def submit(callback_id: str, _context: Any) -> None:
        request_manager_approval(application, assessment, reply_to=ReplyTo.callback(callback_id))

    return submit


def managers_answer(
    context: DurableContext, application: LoanApplication, assessment: AssessmentResult
) -> tuple[bool, str]:
    """(approved, reason): the manager's answer through POST /approve (services/loan/manager_approval.py), or a
    denial when nobody answers in time."""
    try:
        answer = context.wait_for_callback(
            manager_approval_submitter(application, assessment), name="manager approval", config=MANAGER_APPROVAL
        )
    except CallbackTimeoutError:
        return False, NO_MANAGER_DECISION_REASON
    sent = json.loads(answer)  # the decision and its reason, as decisions.py words it (the ASL reads the same)
    decision = ManagerDecision.model_validate({key: value for key, value in sent.items() if key != "reason"})
    return decision.approved, sent["reason"]


def decide(context: DurableContext, application: LoanApplication) -> dict[str, Any]:
    """The outcome, in the shape the state machine builds: denied with a reason, or approved and paid out."""

    def denied(reason: str) -> dict[str, Any]:
        return LoanOutcome(application_id=application.application_id, outcome="denied", reason=reason).model_dump(
            mode="json", exclude_none=True
        )

    assessment = assess_application(context, application)
    if assessment.decision == "denied":
        return denied(assessment.reason)
    reason = assessment.reason
    if requires_manager_approval(application.loan_amount):
        approved, reason = managers_answer(context, application, assessment)
        if not approved:
            return denied(reason)

    loan = application.model_dump(mode="json")
    offer = context.step(
        offer_for(loan, assessment.model_dump(mode="json")), name="generate loan offer", config=SERVICE_RETRY
    )
    paid = context.step(pay_out(loan, offer), name="disburse funds", config=SERVICE_RETRY)
    return LoanOutcome(
        application_id=application.application_id,
        outcome="approved",
        reason=reason,
        offer=LoanOffer.model_validate(offer),
        disbursement_reference=paid["disbursement_reference"],
    ).model_dump(mode="json", exclude_none=True)


def notify_applicant(context: DurableContext, outcome: dict[str, Any]) -> None:
    try:
        context.step(notify(outcome), name="notify applicant", config=NOTIFY_RETRY)
    except StepError as error:
        # As in the state machine: the decision stands even if the message could not be sent.
        context.logger.warning("the applicant could not be notified: %s", error.message)


def error_name(error: Exception) -> str:
    """The name of the error that stopped the flow, as a state machine's Catch would see it: the exception
    raised inside a failed step, not the SDK's wrapper around it."""
    while (
        isinstance(error, DurableOperationError)
        and error.error_type.startswith("aws_durable_execution_sdk_python.")
        and isinstance(error.__cause__, DurableOperationError)
    ):
        error = error.__cause__
    if isinstance(error, DurableOperationError):
        return error.error_type.rpartition(".")[2]
    return type(error).__name__


def record_processing_failure(context: DurableContext, application_id: str, error: Exception) -> None:
    """Marks the application failed so nobody waits on it; the execution then fails with the error."""
    try:
        context.step(
            mark_failed(application_id, error_name(error)), name="record processing failure", config=SERVICE_RETRY
        )
    except StepError as failure:
        # As in the state machine: the execution still fails with the original error.
        context.logger.warning("the failure could not be recorded: %s", failure.message)


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event`` is the application (the API starts the execution named after its id); returns the outcome."""
    try:
        application = recorded_application(context, event)
        outcome = decide(context, application)
    except (ApplicationInvalid, UnrecoverableError):
        raise  # an invalid application is rejected before anything happens; the SDK's own failures end the run
    except Exception as error:
        record_processing_failure(context, event["application_id"], error)
        raise
    notify_applicant(context, outcome)
    context.step(record_decision(outcome), name="record decision in audit trail", config=SERVICE_RETRY)
    return outcome
