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

from typing import Any

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import Duration, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackTimeoutError

from domain.loan.models import AssessmentResult, Disbursement, LoanApplication, LoanOffer, LoanOutcome, ManagerAnswer
from domain.loan.rules import (
    MANAGER_APPROVAL_TIMEOUT_SECONDS,
    NO_MANAGER_DECISION_REASON,
    requires_manager_approval,
)
from domain.loan.validation import ApplicationInvalid
from durable.loan_assessment.handler import assess_application
from durable.typed_steps import run_step
from durable.whole_workflow import SERVICE_RETRY, processing_failure_reason, run_whole_workflow
from durable.wiring import durable_handler
from services.common.bootstrap import Adapters
from services.common.log import at
from services.common.notifier import applicant_subject
from services.common.reply_to import ReplyTo
from services.loan.disbursement import disburse
from services.loan.intake import record_application
from services.loan.manager_approval import request_manager_approval
from services.loan.offer import make_offer

MANAGER_APPROVAL = WaitForCallbackConfig(timeout=Duration.from_seconds(MANAGER_APPROVAL_TIMEOUT_SECONDS))


# --- steps that are not business steps of services/loan: each is one side effect ------------------------------


def notify(adapters: Adapters, outcome: LoanOutcome) -> None:
    adapters.applicant_notifier.notify(applicant_subject(outcome_fields(outcome)), outcome_fields(outcome))


def record_decision(adapters: Adapters, outcome: LoanOutcome) -> None:
    adapters.progress.record_decision(outcome.application_id, outcome_fields(outcome))


def mark_failed(adapters: Adapters, application_id: str, error_name: str) -> None:
    adapters.progress.set_status(application_id, status="failed", reason=processing_failure_reason(error_name))


def outcome_fields(outcome: LoanOutcome) -> dict[str, Any]:
    """The outcome as the state machines write it: no empty offer or reference."""
    return outcome.model_dump(mode="json", exclude_none=True)


# --- the process ----------------------------------------------------------------------------------------------


def manager_approval_submitter(adapters: Adapters, application: LoanApplication, assessment: AssessmentResult):
    def submit(callback_id: str, _context: Any) -> None:
        request_manager_approval(adapters, application, assessment, reply_to=ReplyTo.callback(callback_id))

    return submit


def managers_answer(
    context: DurableContext, adapters: Adapters, application: LoanApplication, assessment: AssessmentResult
) -> tuple[bool, str]:
    """(approved, reason): the manager's answer through POST /approve (services/loan/manager_approval.py), or a
    denial when nobody answers in time."""
    try:
        answer = context.wait_for_callback(
            manager_approval_submitter(adapters, application, assessment),
            name="manager approval",
            config=MANAGER_APPROVAL,
        )
    except CallbackTimeoutError:
        return False, NO_MANAGER_DECISION_REASON
    sent = ManagerAnswer.model_validate_json(answer)  # as manager_approval.py words it (the ASL reads the same)
    return sent.approved, sent.reason


def decide_application(context: DurableContext, adapters: Adapters, application: LoanApplication) -> LoanOutcome:
    """The outcome, in the shape the state machine builds: denied with a reason, or approved and paid out."""

    def denied(reason: str) -> LoanOutcome:
        return LoanOutcome(application_id=application.application_id, outcome="denied", reason=reason)

    assessment = assess_application(context, adapters, application)
    if assessment.decision == "denied":
        return denied(assessment.reason)
    reason = assessment.reason
    if requires_manager_approval(application.loan_amount):
        approved, reason = managers_answer(context, adapters, application, assessment)
        if not approved:
            return denied(reason)

    offer = run_step(
        context,
        "generate loan offer",
        make_offer,
        adapters,
        application,
        assessment,
        returns=LoanOffer,
        config=SERVICE_RETRY,
    )
    paid = run_step(
        context, "disburse funds", disburse, adapters, application, offer, returns=Disbursement, config=SERVICE_RETRY
    )
    return LoanOutcome(
        application_id=application.application_id,
        outcome="approved",
        reason=reason,
        offer=offer,
        disbursement_reference=paid.disbursement_reference,
    )


def run_loan_workflow(adapters: Adapters, event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event`` is the application (the API starts the execution named after its id); returns the outcome."""
    outcome = run_whole_workflow(
        context,
        adapters,
        event,
        id_field="application_id",
        intake=("record application", record_application, LoanApplication),
        invalid=ApplicationInvalid,
        decide=lambda application: decide_application(context, adapters, application),
        notify=("notify applicant", notify),
        record_decision=record_decision,
        mark_failed=mark_failed,
    )
    return outcome_fields(outcome)


handler = durable_handler(run_loan_workflow, at("application_id"), variant="durable")
