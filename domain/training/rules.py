"""The training request's business rules: every threshold and reason lives here, once.

The durable code, the Lambda services, the state machines (through ``${Placeholder}`` values taken from the
constants below) and the tests all use these; nothing else restates a rule.
"""

from __future__ import annotations

from domain.training.models import (
    Band,
    Decision,
    Enrollment,
    HrReview,
    ScreeningResult,
    TrainingOutcome,
    TrainingRequest,
)
from domain.training.saga import failure_reason

# Score bands (seed article): below 50 the model's "no" stands, above 75 its "yes" stands, in between a person
# decides. Scores are whole numbers 0–100.
REVIEW_MIN_SCORE = 50  # 50 is reviewed by HR, 49 is rejected
APPROVE_MIN_SCORE = 76  # 75 is reviewed by HR, 76 is approved

HR_REVIEW_TIMEOUT_SECONDS = 72 * 60 * 60
NO_HR_DECISION_REASON = "no HR decision"


def band(score: int) -> Band:
    """Which band a screening score falls in."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise ValueError(f"a screening score is a whole number from 0 to 100, got {score!r}")
    if score < REVIEW_MIN_SCORE:
        return "reject"
    if score < APPROVE_MIN_SCORE:
        return "review"
    return "approve"


# --- reasons (additions for the workflow) -----------------------------------------------------------------------


def screening_reason(score_band: Band) -> str:
    """Why the screening alone decides (or does not): the same words for every request in a band."""
    if score_band == "reject":
        return f"screening score below {REVIEW_MIN_SCORE}: the training does not match the job role"
    if score_band == "approve":
        return f"screening score above {APPROVE_MIN_SCORE - 1}: the training matches the job role"
    return f"screening score from {REVIEW_MIN_SCORE} to {APPROVE_MIN_SCORE - 1}: HR decides"


def hr_verdict(approved: bool) -> Decision:
    """HR's decision in one word."""
    return "approved" if approved else "rejected"


def hr_reason(approved: bool, reviewer: str, comment: str = "") -> str:
    return f"HR reviewer {reviewer} {hr_verdict(approved)}" + (f": {comment}" if comment else "")


def training_outcome(
    request: TrainingRequest,
    screening: ScreeningResult,
    review: HrReview | None = None,
    enrollment: Enrollment | None = None,
) -> TrainingOutcome:
    """The outcome from what happened: the screening's band, HR's review (None in the review band: nobody
    answered in time) and the enrollment saga's record (None unless the request was approved)."""
    decided = {
        "request_id": request.request_id,
        "employee_id": request.employee_id,
        "employee_name": request.employee_name,
        "training_title": request.training_title,
        "provider": request.provider,
        "cost": request.cost,
        "score": screening.score,
        "band": screening.band,
        "rationale": screening.rationale,
        "model_id": screening.model_id,
        "reviewer": review.reviewer if review else None,
        "comment": review.comment if review else None,
    }
    if screening.band == "reject":
        return TrainingOutcome(**decided, decision="rejected", outcome="rejected", reason=screening.reason)
    if screening.band == "review" and review is None:
        return TrainingOutcome(**decided, decision="rejected", outcome="rejected", reason=NO_HR_DECISION_REASON)
    if screening.band == "review" and not review.approved:
        return TrainingOutcome(**decided, decision="rejected", outcome="rejected", reason=review.reason)
    approval = review.reason if screening.band == "review" else screening.reason
    if enrollment is None or enrollment.status == "in progress":
        raise ValueError(f"request {request.request_id} is approved but its enrollment has not finished")
    if enrollment.status == "failed":
        return TrainingOutcome(
            **decided,
            decision="approved",
            outcome="enrollment-failed",
            reason=failure_reason(enrollment),
            enrollment=enrollment,
        )
    return TrainingOutcome(**decided, decision="approved", outcome="approved", reason=approval, enrollment=enrollment)


# How long the workflow waits for each micro flow. Generous on purpose: they only catch work that was lost (the
# model call has its own retries; the enrollment its own compensations).
SCREENING_TIMEOUT_SECONDS = 15 * 60
ENROLLMENT_TIMEOUT_SECONDS = 15 * 60
