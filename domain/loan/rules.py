"""The loan approval's business rules: every threshold, rate and reason lives here, once.

The durable code, the Lambda services, the state machines (through ``${Placeholder}`` values taken from the
constants below) and the tests all use these functions; nothing else restates a rule.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_HALF_UP, Decimal
from statistics import mean

from domain.loan.models import (
    AssessmentResult,
    BureauReport,
    CreditAssessment,
    FraudCheckOutcome,
    FraudCheckResult,
    LoanApplication,
    LoanOffer,
    ManagerDecision,
    RiskTier,
)

# --- constants (the state machines read these through placeholders) -----------------------------------------

BUREAUS: tuple[str, ...] = ("equifax", "transunion", "experian")

PRIME = RiskTier(name="prime", annual_rate_percent=5.25)
NEAR_PRIME = RiskTier(name="near-prime", annual_rate_percent=7.50)
SUBPRIME = RiskTier(name="subprime", annual_rate_percent=11.00)
DEEP_SUBPRIME = RiskTier(name="deep-subprime", annual_rate_percent=15.00)
PRIME_MIN_SCORE = 740
NEAR_PRIME_MIN_SCORE = 670
SUBPRIME_MIN_SCORE = 580

# Debt-to-income above 43 % is denied: the ceiling of the US CFPB "ability-to-repay" qualified-mortgage rule,
# the most widely used hard limit in consumer lending.
MAX_DEBT_TO_INCOME = 0.43

MANAGER_APPROVAL_THRESHOLD = 100_000  # dollars, inclusive: $100,000 needs a manager
MANAGER_APPROVAL_TIMEOUT_SECONDS = 30 * 60
FRAUD_CHECK_TIMEOUT_SECONDS = 5 * 60
# How long the workflow waits for the whole credit-and-fraud assessment. Generous on purpose: the fraud
# check's own timeout decides the business outcome; this one only catches an assessment that was lost.
ASSESSMENT_TIMEOUT_SECONDS = 30 * 60
OFFER_TERM_MONTHS = 60

# --- demo profiles (seed article): a fixed decision per SIN ---------------------------------------------------
# (the simulated bureaus' data for them: services/simulated/credit_bureaus.py)

ALICE, BOB, CHARLIE = "1111", "2222", "3333"
CHARLIE_LIMIT = 25_000


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def risk_tier(average_score: float, derogatory_marks: int) -> RiskTier:
    if average_score >= PRIME_MIN_SCORE and derogatory_marks == 0:
        return PRIME
    if average_score >= NEAR_PRIME_MIN_SCORE:
        return NEAR_PRIME
    if average_score >= SUBPRIME_MIN_SCORE:
        return SUBPRIME
    return DEEP_SUBPRIME


def _cents(value: Decimal | float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def monthly_payment(principal: float, annual_rate_percent: float, term_months: int = OFFER_TERM_MONTHS) -> float:
    """Level payment of a fully amortizing loan: P·r / (1 − (1 + r)^−n), r the monthly rate."""
    p, r = Decimal(str(principal)), Decimal(str(annual_rate_percent)) / Decimal(1200)
    if r == 0:
        return _cents(p / term_months)
    return _cents(p * r / (1 - (1 + r) ** -term_months))


def debt_to_income(application: LoanApplication, reports: list[BureauReport], tier: RiskTier) -> float:
    """Monthly debts (bureau average) plus the new loan's payment, over monthly income (unrounded)."""
    existing = mean(report.monthly_debt_payments for report in reports)
    new_payment = monthly_payment(application.loan_amount, tier.annual_rate_percent)
    return (existing + new_payment) / (application.annual_income / 12)


def percent(ratio: float) -> str:
    return f"{ratio * 100:.2f}%"


def assess_credit(application: LoanApplication, reports: list[BureauReport]) -> CreditAssessment:
    """Average the bureaus, place the applicant in a tier, estimate DTI and decide."""
    if sorted(report.bureau for report in reports) != sorted(BUREAUS):
        raise ValueError(f"need exactly one report from each of {', '.join(BUREAUS)}")
    # The rules compare the exact average and ratio; the assessment reports them rounded.
    average = mean(report.credit_score for report in reports)
    marks = max(report.derogatory_marks for report in reports)  # one delinquency shows in several reports
    tier = risk_tier(average, marks)
    dti = debt_to_income(application, reports, tier)
    decision, reason = _credit_decision(application, tier, round(average), dti)
    return CreditAssessment(
        average_score=round(average),
        derogatory_marks=marks,
        risk_tier=tier,
        estimated_dti=round(dti, 4),
        decision=decision,
        reason=reason,
    )


def _credit_decision(application: LoanApplication, tier: RiskTier, average: int, dti: float) -> tuple[str, str]:
    sin = application.sin_last4
    if sin == ALICE:
        return "approved", f"credit approved: demo profile, {tier.name} tier at {tier.annual_rate_percent:.2f}%"
    if sin == CHARLIE and application.loan_amount > CHARLIE_LIMIT:
        return "denied", f"credit denied: amount above the ${CHARLIE_LIMIT:,} limit for this applicant"
    if sin == CHARLIE:
        return "approved", f"credit approved: demo profile, {tier.name} tier at {tier.annual_rate_percent:.2f}%"
    if tier == DEEP_SUBPRIME:
        return "denied", f"credit denied: credit score too low ({tier.name} tier, average score {average})"
    if dti > MAX_DEBT_TO_INCOME:
        return (
            "denied",
            f"credit denied: debt-to-income {percent(dti)} is above the {percent(MAX_DEBT_TO_INCOME)} limit",
        )
    return (
        "approved",
        f"credit approved: {tier.name} tier at {tier.annual_rate_percent:.2f}%, debt-to-income {percent(dti)}",
    )


# --- fraud check --------------------------------------------------------------------------------------------


def fraud_denial_reason(result: FraudCheckResult) -> str:
    return f"fraud check flagged the application ({result.risk_indicators} risk indicator(s))"


def fraud_failure_reason(error: str) -> str:
    return f"fraud check failed: {error}"


FRAUD_TIMEOUT_REASON = f"fraud check timed out: no answer within {FRAUD_CHECK_TIMEOUT_SECONDS // 60} minutes"


def fraud_check_result(fraud: FraudCheckOutcome) -> str:
    """What the fraud check came to, in one word or two: passed, denied, failed (the service reported an error) or
    timed out."""
    if fraud.status != "answered":
        return fraud.status
    return "passed" if fraud.result.passed else "denied"


def fraud_check_reason(fraud: FraudCheckOutcome) -> str:
    """What the audit trail says the fraud check came to."""
    if fraud.status == "timed out":
        return FRAUD_TIMEOUT_REASON
    if fraud.status == "failed":
        return fraud_failure_reason(fraud.error)
    return "passed" if fraud.result.passed else fraud_denial_reason(fraud.result)


def assessment_after_fraud_check(
    application: LoanApplication, credit: CreditAssessment, fraud: FraudCheckOutcome | None
) -> AssessmentResult:
    """Combine the credit decision with the fraud check (``None``: not asked, because the credit was denied)."""
    decided = {"application_id": application.application_id, "credit": credit}
    if credit.decision == "denied":
        return AssessmentResult(**decided, decision="denied", reason=credit.reason)
    if fraud is None:
        return AssessmentResult(**decided, decision="denied", reason="fraud check gave no result")
    if fraud.status != "answered" or not fraud.result.passed:
        return AssessmentResult(**decided, decision="denied", reason=fraud_check_reason(fraud), fraud=fraud.result)
    return AssessmentResult(**decided, decision="approved", reason=credit.reason, fraud=fraud.result)


# --- manager approval ----------------------------------------------------------------------------------------


def requires_manager_approval(loan_amount: float) -> bool:
    return loan_amount >= MANAGER_APPROVAL_THRESHOLD


NO_MANAGER_DECISION_REASON = "no manager decision"


def manager_verdict(decision: ManagerDecision) -> str:
    """The manager's decision in one word."""
    return "approved" if decision.approved else "denied"


def manager_reason(decision: ManagerDecision) -> str:
    comment = f": {decision.comment}" if decision.comment else ""
    return f"manager {decision.manager} {manager_verdict(decision)}{comment}"


# --- offer ---------------------------------------------------------------------------------------------------


def generate_offer(application: LoanApplication, tier: RiskTier) -> LoanOffer:
    payment = monthly_payment(application.loan_amount, tier.annual_rate_percent)
    total = _cents(Decimal(str(payment)) * OFFER_TERM_MONTHS)
    return LoanOffer(
        principal=application.loan_amount,
        annual_rate_percent=tier.annual_rate_percent,
        term_months=OFFER_TERM_MONTHS,
        monthly_payment=payment,
        total_repayment=total,
        total_interest=_cents(Decimal(str(total)) - Decimal(str(application.loan_amount))),
    )


def disbursement_reference(application_id: str) -> str:
    """One reference per application: disbursing twice would reuse it, which the audit trail refuses (the "disbursed" entry is written once)."""
    return f"DSB-{_digest('disburse', application_id) % 10**10:010d}"
