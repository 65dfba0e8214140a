"""Fraud check: the simulated service flags an implausible income; failure, timeout or a flag denies."""

from __future__ import annotations

import pytest

from domain.loan.models import CreditAssessment, FraudCheckOutcome, FraudCheckResult
from domain.loan.rules import (
    FRAUD_CHECK_TIMEOUT_SECONDS,
    FRAUD_TIMEOUT_REASON,
    NEAR_PRIME,
    assessment_after_fraud_check,
    fraud_check_reason,
    fraud_denial_reason,
)
from services.simulated.loan_fraud_service import FRAUD_SERVICE_NAME, screen_for_fraud
from tests.unit.loan.builders import application

APP = application(application_id="loan-fraud-1")
CLEAR = FraudCheckResult(passed=True, risk_indicators=0, checked_by=FRAUD_SERVICE_NAME)
FLAGGED = FraudCheckResult(passed=False, risk_indicators=1, checked_by=FRAUD_SERVICE_NAME)


def credit(decision: str, reason: str) -> CreditAssessment:
    return CreditAssessment(
        average_score=700, derogatory_marks=0, risk_tier=NEAR_PRIME, estimated_dti=0.2, decision=decision, reason=reason
    )


APPROVED = credit("approved", "credit approved: near-prime tier at 7.50%, debt-to-income 20.0%")
DENIED = credit("denied", "credit denied: debt-to-income 50.0% is above the 43.0% limit")


# --- the simulated fraud service -----------------------------------------------------------------------------


def test_a_normal_application_passes_the_fraud_screen():
    assert screen_for_fraud(application(annual_income=85_000.0, loan_amount=25_000.0)) == CLEAR


@pytest.mark.parametrize(
    ("income", "amount", "flagged"),
    [
        (50_000.00, 1_000.0, False),  # exactly 50×: not more than
        (50_000.01, 1_000.0, True),
        (2_000_000.0, 25_000.0, True),
        (1_250_000.0, 25_000.0, False),
        (10_000.0, 150_000.0, False),
    ],
)
def test_an_income_more_than_50_times_the_loan_is_flagged(income, amount, flagged):
    result = screen_for_fraud(application(annual_income=income, loan_amount=amount))

    assert result.passed is not flagged
    assert result.risk_indicators == int(flagged)
    assert result.checked_by == FRAUD_SERVICE_NAME


# --- combining credit and fraud --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fraud",
    [
        FraudCheckOutcome.answered(CLEAR),
        FraudCheckOutcome.answered(FLAGGED),
        FraudCheckOutcome.timed_out(),
        FraudCheckOutcome.failed("ServiceUnavailable", "down"),
        None,
    ],
    ids=["fraud clear", "fraud flagged", "fraud timed out", "fraud failed", "fraud not asked"],
)
def test_a_credit_denial_stays_denied_with_the_credit_reason(fraud):
    result = assessment_after_fraud_check(APP, DENIED, fraud)

    assert result.decision == "denied"
    assert result.reason == DENIED.reason
    assert result.credit == DENIED
    assert result.application_id == "loan-fraud-1"


def test_a_fraud_check_timeout_denies_with_the_timeout_reason():
    result = assessment_after_fraud_check(APP, APPROVED, FraudCheckOutcome.timed_out())

    assert result.decision == "denied"
    assert result.reason == FRAUD_TIMEOUT_REASON == "fraud check timed out: no answer within 5 minutes"
    assert result.credit == APPROVED
    assert result.fraud is None


def test_a_fraud_check_failure_denies_with_the_failure_reason():
    result = assessment_after_fraud_check(
        APP, APPROVED, FraudCheckOutcome.failed("ServiceUnavailable", "fraud service returned 503")
    )

    assert (result.decision, result.reason) == ("denied", "fraud check failed: fraud service returned 503")


def test_a_failure_without_a_message_is_named_by_its_error_type():
    failed = FraudCheckOutcome.failed("ServiceUnavailable", "")

    assert fraud_check_reason(failed) == "fraud check failed: ServiceUnavailable"


def test_the_fraud_check_times_out_after_5_minutes():
    assert FRAUD_CHECK_TIMEOUT_SECONDS == 5 * 60


def test_a_flagged_application_is_denied():
    result = assessment_after_fraud_check(APP, APPROVED, FraudCheckOutcome.answered(FLAGGED))

    assert result.decision == "denied"
    assert result.reason == fraud_denial_reason(FLAGGED) == "fraud check flagged the application (1 risk indicator(s))"
    assert result.fraud == FLAGGED


def test_no_fraud_outcome_is_denied_not_waved_through():
    result = assessment_after_fraud_check(APP, APPROVED, None)

    assert (result.decision, result.reason) == ("denied", "fraud check gave no result")


def test_credit_approved_and_fraud_clear_is_approved_with_the_credit_reason():
    result = assessment_after_fraud_check(APP, APPROVED, FraudCheckOutcome.answered(CLEAR))

    assert result.decision == "approved"
    assert result.reason == APPROVED.reason
    assert result.credit == APPROVED
    assert result.fraud == CLEAR
    assert result.application_id == "loan-fraud-1"


@pytest.mark.parametrize(
    ("fraud", "reason"),
    [
        (FraudCheckOutcome.answered(CLEAR), "passed"),
        (FraudCheckOutcome.answered(FLAGGED), "fraud check flagged the application (1 risk indicator(s))"),
        (FraudCheckOutcome.timed_out(), FRAUD_TIMEOUT_REASON),
        (FraudCheckOutcome.failed("ServiceUnavailable", "down"), "fraud check failed: down"),
    ],
)
def test_the_audit_trail_says_what_the_fraud_check_came_to(fraud, reason):
    assert fraud_check_reason(fraud) == reason
