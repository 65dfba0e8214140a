"""The HR review routes of the HTTP API (included in services/api/handler.py):

    GET  /reviews                training requests waiting for HR, with the screening score and rationale
    POST /reviews/{request_id}   HR's decision: {"decision": "approve"|"reject", "reviewer": "...", "comment": "..."}

The answer resumes the waiting workflow: a Step Functions task token (sfn, hybrid) or a durable callback
(durable). 400 names each broken rule; 404 when nothing is pending; 409 when the review timed out.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from domain.training.validation import validate_hr_review
from domain.validation import checked_id
from services.api.bodies import json_body
from services.api.models import HrReviewAnswer, HrReviewBody, Message, PendingReviews
from services.api.openapi import NOT_FOUND, answer, documented, path_id
from services.common.bootstrap import wired
from services.training.hr_review import NoPendingReview, ReviewNoLongerPending, answer_hr_review

router = Router()

HIDDEN = ("task_token", "callback_id", "entry", "pending_kind")


@router.get(
    "/reviews", **documented("GET", "/reviews", {200: answer(PendingReviews, "Waiting for HR.")}, tag="training")
)
def pending_reviews() -> dict[str, Any]:
    reviews = wired().training.pending_reviews()
    return {"reviews": [{k: v for k, v in item.items() if k not in HIDDEN} for item in reviews]}


@router.post(
    "/reviews/<request_id>",
    **documented(
        "POST",
        "/reviews/<request_id>",
        {
            200: answer(HrReviewAnswer, "The decision resumed the waiting workflow."),
            404: NOT_FOUND,
            409: answer(Message, "The review timed out: the workflow no longer waits for it."),
        },
        body=HrReviewBody,
        tag="training",
    ),
)
def review(request_id: Annotated[str, path_id("request_id")]) -> dict[str, Any] | tuple[dict[str, Any], int]:
    checked_id(request_id, "request_id")
    decision = validate_hr_review(json_body(router.current_event))
    try:
        answered = answer_hr_review(wired(), request_id, decision)
    except NoPendingReview as error:
        raise NotFoundError(str(error)) from None
    except ReviewNoLongerPending as error:
        return {"message": str(error)}, 409
    return {
        "request_id": request_id,
        "decision": "approve" if answered.approved else "reject",
        "reason": answered.reason,
    }
