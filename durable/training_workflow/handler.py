"""Pure durable training: the whole training-request process in one durable function.

The same business process as the hybrid (statemachines/training.asl.json), with the same outcome, result file,
employee notification and audit trail for the same upload; here Python orchestrates instead of Step Functions:
  1. record the request (an invalid one fails the execution with RequestInvalid, nothing else runs),
  2. screen it with the model (durable/training_screening's flow, reused as is),
  3. score 50-75: wait for HR's answer, 72 hours at most (no answer: rejected, "no HR decision"),
  4. approved: the enrollment saga (durable/training_enrollment's flow, reused as is: compensations exactly once),
  5. write the result file, notify the employee, record the decision in the audit trail.
A failure after intake marks the request failed, as the state machine's "Record Processing Failure" does, and
fails the execution. Every side effect happens inside a step. Replay rules: durable/README.md.
"""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import Duration, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackTimeoutError

from domain.training.models import HrReview, ScreeningResult, TrainingOutcome, TrainingRequest
from domain.training.rules import HR_REVIEW_TIMEOUT_SECONDS
from domain.training.validation import RequestInvalid
from durable.training_enrollment.handler import enroll
from durable.training_screening.handler import screen
from durable.typed_steps import run_step
from durable.whole_workflow import SERVICE_RETRY, processing_failure_reason, run_whole_workflow
from durable.wiring import durable_handler
from services.common.bootstrap import Adapters
from services.common.log import at
from services.common.reply_to import ReplyTo
from services.training.hr_review import request_hr_review
from services.training.intake import record_request
from services.training.result import employee_subject, write_outcome

HR_REVIEW = WaitForCallbackConfig(timeout=Duration.from_seconds(HR_REVIEW_TIMEOUT_SECONDS))


# --- steps that are not business steps of services/training: each is one side effect --------------------------


def notify(adapters: Adapters, outcome: TrainingOutcome) -> None:
    document = outcome.model_dump(mode="json")
    adapters.employee_notifier.notify(employee_subject(document), document)


def record_decision(adapters: Adapters, outcome: TrainingOutcome) -> None:
    adapters.training.record_decision(outcome.request_id, outcome.model_dump(mode="json"))


def mark_failed(adapters: Adapters, request_id: str, failure: str) -> None:
    adapters.training.set_status(request_id, status="failed", reason=processing_failure_reason(failure))


# --- the process ----------------------------------------------------------------------------------------------


def hr_review_submitter(adapters: Adapters, request: TrainingRequest, screening: ScreeningResult):
    def submit(callback_id: str, _context: Any) -> None:
        request_hr_review(adapters, request, screening, reply_to=ReplyTo.callback(callback_id))

    return submit


def hr_answer(
    context: DurableContext, adapters: Adapters, request: TrainingRequest, screening: ScreeningResult
) -> HrReview | None:
    """HR's answer through POST /reviews/{id} (services/training/hr_review.py), or None when nobody answers in time."""
    try:
        answer = context.wait_for_callback(
            hr_review_submitter(adapters, request, screening), name="HR review", config=HR_REVIEW
        )
    except CallbackTimeoutError:
        return None
    return HrReview.model_validate(json.loads(answer))


def decide_request(context: DurableContext, adapters: Adapters, request: TrainingRequest) -> TrainingOutcome:
    screening = screen(context, adapters, request)
    review = hr_answer(context, adapters, request, screening) if screening.band == "review" else None
    approved = screening.band == "approve" or (review is not None and review.approved)
    enrollment = enroll(context, adapters, request) if approved else None
    return run_step(
        context,
        "write result",
        write_outcome,
        adapters,
        request,
        screening,
        review,
        enrollment,
        returns=TrainingOutcome,
        config=SERVICE_RETRY,
    )


def run_training_workflow(adapters: Adapters, event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event``: {"request_id", "document", "source"} (the upload names the execution after the request id)."""
    outcome = run_whole_workflow(
        context,
        adapters,
        event,
        id_field="request_id",
        intake=("record request", record_request, TrainingRequest),
        invalid=RequestInvalid,
        decide=lambda request: decide_request(context, adapters, request),
        notify=("notify employee", notify),
        record_decision=record_decision,
        mark_failed=mark_failed,
    )
    return outcome.model_dump(mode="json")


handler = durable_handler(run_training_workflow, at("request_id"), variant="durable")
