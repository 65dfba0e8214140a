"""HR review: step "Request HR Review" files the request (with the workflow's task token or durable callback
id) where HR sees it (GET /reviews) and tells HR; ``answer_hr_review`` is HR's answer (POST /reviews/{id}), which resumes
the waiting workflow. Nobody answering within the timeout rejects the request ("no HR decision")."""

from __future__ import annotations

import json
from typing import Any

from domain.training.models import HrDecision, HrReview, ScreeningResult, TrainingRequest
from domain.training.rules import hr_reason, hr_verdict
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.people import NoLongerWaiting, resume_with_decision
from services.common.progress import ProgressEntry, utc_now
from services.common.reply_to import ReplyTo


class NoPendingReview(LookupError):
    pass


class ReviewNoLongerPending(RuntimeError):
    pass


@logged(at("request", "request_id"))
def handler(event: dict[str, Any], context: Any) -> None:
    """Task "Request HR Review" (.waitForTaskToken): {"task_token", "request", "screening"}."""
    request_hr_review(
        wired(),
        TrainingRequest.model_validate(event["request"]),
        ScreeningResult.model_validate(event["screening"]),
        reply_to=ReplyTo.task_token(event["task_token"]),
    )


def request_hr_review(
    adapters: Adapters, request: TrainingRequest, screening: ScreeningResult, reply_to: ReplyTo
) -> None:
    """``reply_to``: how HR's answer resumes the workflow (a task token or a durable callback id). The audit trail
    says the review was requested before HR can see it, so an answer never comes before its request in the trail."""
    adapters.training.record(
        request.request_id,
        ProgressEntry("hr-review-requested", step="HR review", message="waiting for an HR reviewer's decision"),
    )
    adapters.training.put_pending_review(
        request.request_id,
        {
            **reply_to.as_fields(),
            "employee_name": request.employee_name,
            "job_role": request.job_role,
            "training_title": request.training_title,
            "provider": request.provider,
            "cost": request.cost,
            "score": screening.score,
            "rationale": screening.rationale,
            "requested_at": utc_now(),
        },
    )
    adapters.training.set_status(request.request_id, status="awaiting HR review")
    adapters.hr_notifier.notify(
        f"Review needed: {request.employee_name}, {request.training_title}"[:100],
        {"request_id": request.request_id, "score": screening.score, "rationale": screening.rationale},
    )


def answer_hr_review(adapters: Adapters, request_id: str, decision: HrDecision) -> HrReview:
    """HR's answer: resumes the workflow waiting on this request's review."""
    pending = adapters.training.pending_review(request_id)
    if pending is None:
        raise NoPendingReview(f"no HR review is pending for training request {request_id}")
    review = HrReview(**decision.model_dump(), reason=hr_reason(decision.approved, decision.reviewer, decision.comment))
    answer = json.dumps(review.model_dump(mode="json"))
    decided = ProgressEntry(
        "hr-decision",
        step="HR review",
        message=review.reason,
        actor=decision.reviewer,
        outcome=hr_verdict(decision.approved),
    )
    try:
        resume_with_decision(adapters, adapters.training, request_id, pending, answer, decided)
    except NoLongerWaiting as error:
        raise ReviewNoLongerPending(f"the HR review of {request_id} is no longer pending (it timed out)") from error
    return review
