"""The outcome follows from the screening's band, HR's review and the enrollment saga (rules.training_outcome)."""

from __future__ import annotations

import pytest

from domain.training import saga
from domain.training.models import HrReview, ScreeningResult, TrainingRequest
from domain.training.rules import NO_HR_DECISION_REASON, band, hr_reason, screening_reason, training_outcome

REQUEST = TrainingRequest(
    request_id="r1",
    employee_id="E-1",
    employee_name="Ana Lima",
    employee_email="ana@example.com",
    job_role="Accountant",
    job_description="Keeps the books.",
    training_title="IFRS Update",
    training_description="What changed in IFRS this year.",
    provider="Academy",
    cost=900.0,
)


def screened(score: int) -> ScreeningResult:
    return ScreeningResult(
        request_id="r1",
        score=score,
        band=band(score),
        rationale="why",
        model_id="m",
        reason=screening_reason(band(score)),
    )


def enrolled():
    record = saga.begin()
    for step in saga.ENROLLMENT_SAGA:
        record = saga.after_step(record, step, "ref")
    return record


def review(approved: bool) -> HrReview:
    return HrReview(
        approved=approved, reviewer="Priya Shah", comment="ok", reason=hr_reason(approved, "Priya Shah", "ok")
    )


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0, "reject"), (49, "reject"), (50, "review"), (75, "review"), (76, "approve"), (100, "approve")],
)
def test_band_boundaries(score, expected):
    assert band(score) == expected


def test_a_low_score_is_rejected_without_anyone():
    outcome = training_outcome(REQUEST, screened(49))
    assert (outcome.decision, outcome.outcome, outcome.reason) == ("rejected", "rejected", screening_reason("reject"))
    assert outcome.enrollment is None and outcome.reviewer is None


def test_a_high_score_is_approved_and_enrolled():
    outcome = training_outcome(REQUEST, screened(76), enrollment=enrolled())
    assert (outcome.decision, outcome.outcome, outcome.reason) == ("approved", "approved", screening_reason("approve"))
    assert outcome.enrollment.completed == ["reserve budget", "book seat", "add to calendar"]


def test_hr_decides_the_middle_band():
    approved = training_outcome(REQUEST, screened(60), review(True), enrolled())
    rejected = training_outcome(REQUEST, screened(60), review(False))
    assert (approved.outcome, approved.reason, approved.reviewer, approved.comment) == (
        "approved",
        "HR reviewer Priya Shah approved: ok",
        "Priya Shah",
        "ok",
    )
    assert (rejected.outcome, rejected.reason) == ("rejected", "HR reviewer Priya Shah rejected: ok")


def test_no_hr_answer_rejects():
    outcome = training_outcome(REQUEST, screened(50))
    assert (outcome.outcome, outcome.reason) == ("rejected", NO_HR_DECISION_REASON)


def test_a_failed_enrollment_says_what_was_undone():
    record = saga.after_step(saga.begin(), saga.step_named("reserve budget"), "BUD-1")
    record = saga.after_failure(record, saga.step_named("book seat"), "no seat left")
    record = saga.after_compensation(record, saga.step_named("reserve budget"))
    outcome = training_outcome(REQUEST, screened(90), enrollment=record)
    assert (outcome.decision, outcome.outcome) == ("approved", "enrollment-failed")
    assert outcome.reason == "approved, but enrollment failed at book seat: no seat left (undone: release budget)"


def test_an_approved_request_needs_a_finished_enrollment():
    with pytest.raises(ValueError, match="enrollment has not finished"):
        training_outcome(REQUEST, screened(90))
