"""The HR review routes of the HTTP API (included in services/api/handler.py):

    GET  /reviews                training requests waiting for HR, with the screening score and rationale
    POST /reviews/{request_id}   HR's decision: {"decision": "approve"|"reject", "reviewer": "...", "comment": "..."}

The answer resumes the waiting workflow: a Step Functions task token (sfn, hybrid) or a durable callback
(durable). 400 names each broken rule; 404 when nothing is pending; 409 when the review timed out.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from domain.training.models import HrDecision
from domain.training.validation import FieldError, RequestInvalid
from services.common.bootstrap import adapters
from services.training.review import NoPendingReview, ReviewNoLongerPending, decide

router = Router()

DECISIONS = {"approve": True, "reject": False}
MAX_COMMENT_LENGTH = 1_000
HIDDEN = ("task_token", "callback_id", "entry", "pending_kind")


@router.exception_handler(RequestInvalid)
def _invalid(error: RequestInvalid) -> Response:
    return Response(
        status_code=400,
        content_type="application/json",
        body=json.dumps({"message": "invalid review", "errors": error.as_json()}),
    )


@router.get("/reviews")
def pending_reviews() -> dict[str, Any]:
    reviews = adapters().training.pending_reviews()
    return {"reviews": [{k: v for k, v in item.items() if k not in HIDDEN} for item in reviews]}


def parse_decision(raw: str | None) -> HrDecision:
    """The request body → HR's decision, or RequestInvalid naming every broken rule."""
    try:
        body = json.loads(raw or "")
    except json.JSONDecodeError:
        raise RequestInvalid([FieldError("body", "must be valid JSON")]) from None
    if not isinstance(body, dict):
        raise RequestInvalid([FieldError("body", "must be a JSON object")])
    errors = []
    if body.get("decision") not in DECISIONS:
        errors.append(FieldError("decision", "must be 'approve' or 'reject'"))
    reviewer = body.get("reviewer")
    if not isinstance(reviewer, str) or not reviewer.strip():
        errors.append(FieldError("reviewer", "must name the HR reviewer deciding"))
    elif len(reviewer.strip()) > 200:
        errors.append(FieldError("reviewer", "must be at most 200 characters"))
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        errors.append(FieldError("comment", "must be text"))
    elif len(comment) > MAX_COMMENT_LENGTH:
        errors.append(FieldError("comment", f"must be at most {MAX_COMMENT_LENGTH:,} characters"))
    unknown = sorted(set(body) - {"decision", "reviewer", "comment"})
    errors += [FieldError(field, "is not a field of a review") for field in unknown]
    if errors:
        raise RequestInvalid(errors)
    return HrDecision(approved=DECISIONS[body["decision"]], reviewer=reviewer.strip(), comment=comment.strip())


@router.post("/reviews/<request_id>")
def review(request_id: str) -> dict[str, Any] | tuple[dict[str, Any], int]:
    decision = parse_decision(router.current_event.body)
    try:
        answered = decide(request_id, decision)
    except NoPendingReview as error:
        raise NotFoundError(str(error)) from None
    except ReviewNoLongerPending as error:
        return {"message": str(error)}, 409
    return {
        "request_id": request_id,
        "decision": "approve" if answered.approved else "reject",
        "reason": answered.reason,
    }
