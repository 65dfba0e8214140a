"""The training request's business rules: every threshold and reason lives here, once.

The durable code, the Lambda services, the state machines (through ``${Placeholder}`` values taken from the
constants below) and the tests all use these; nothing else restates a rule.
"""

from __future__ import annotations

from domain.training.models import Band

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
