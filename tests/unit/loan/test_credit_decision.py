"""The credit decision: demo profiles have fixed outcomes; every other SIN is decided by a real rule
(deny deep-subprime, deny debt-to-income above 43 %), never approved by default."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.models import BureauReport
from domain.loan.rules import (
    ALICE,
    BOB,
    BUREAUS,
    CHARLIE,
    CHARLIE_LIMIT,
    MAX_DEBT_TO_INCOME,
    assess_credit,
    debt_to_income,
    risk_tier,
)
from domain.loan.validation import ApplicationInvalid, validate_application
from services.simulated.credit_bureaus import simulated_credit_report
from tests.unit.loan.builders import ORDINARY_SIN, application, form, reports

# An ordinary applicant earning $10,000 a month, asking $25,000 in the near-prime tier: the new loan costs
# $500.95 a month (see test_payment_and_offer), so existing debts of D give a DTI of (D + 500.95) / 10,000.
MONTHLY_INCOME = 10_000
NEW_PAYMENT = 500.95
NEAR_PRIME_SCORES = (700, 700, 700)


def ordinary(monthly_debt: float, scores: tuple[int, int, int] = NEAR_PRIME_SCORES, **overrides):
    app = application(annual_income=MONTHLY_INCOME * 12.0, loan_amount=25_000.0, **overrides)
    return assess_credit(app, reports(scores, monthly_debt=monthly_debt))


def bureau_reports(sin: str) -> list[BureauReport]:
    return [simulated_credit_report(bureau, sin) for bureau in BUREAUS]


# --- debt-to-income --------------------------------------------------------------------------------------------


def test_the_debt_to_income_limit_is_43_percent():
    assert MAX_DEBT_TO_INCOME == 0.43


def test_debt_to_income_adds_the_new_payment_to_the_average_existing_debts():
    mixed = reports(NEAR_PRIME_SCORES)
    mixed = [
        report.model_copy(update={"monthly_debt_payments": debt})
        for report, debt in zip(mixed, (900.0, 1_000.0, 1_100.0), strict=True)
    ]
    app = application(annual_income=120_000.0, loan_amount=25_000.0)

    # (mean(900, 1000, 1100) + 500.95) / 10,000
    assert debt_to_income(app, mixed, risk_tier(700, 0)) == pytest.approx(0.150095)


@pytest.mark.parametrize(
    ("monthly_debt", "dti", "decision"),
    [
        (0.0, 0.0501, "approved"),
        (3_000.0, 0.3501, "approved"),
        (3_799.05, 0.4300, "approved"),  # exactly at the limit: not above it
        (3_800.05, 0.4301, "denied"),  # just above
        (4_500.0, 0.5001, "denied"),
    ],
)
def test_debt_to_income_above_the_limit_is_denied(monthly_debt, dti, decision):
    assessment = ordinary(monthly_debt)

    assert assessment.risk_tier.name == "near-prime"
    assert assessment.estimated_dti == dti
    assert assessment.decision == decision
    assert "debt-to-income" in assessment.reason
    if decision == "denied":
        assert assessment.reason.startswith("credit denied")
        assert "above the 43.00% limit" in assessment.reason
    else:
        assert assessment.reason == f"credit approved: near-prime tier at 7.50%, debt-to-income {dti * 100:.2f}%"


def test_a_dti_a_fraction_of_a_basis_point_above_the_limit_is_denied():
    # (3,799.45 + 500.95) / 10,000 = 0.43004
    assert ordinary(3_799.45).decision == "denied"


def test_a_dti_denial_shows_a_figure_visibly_above_the_limit():
    assert "43.01% is above the 43.00% limit" in ordinary(3_800.05).reason


# --- credit score ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("monthly_debt", [0.0, 3_800.05], ids=["no debts", "debts above the DTI limit"])
def test_an_ordinary_deep_subprime_applicant_is_denied_for_the_score(monthly_debt):
    assessment = ordinary(monthly_debt, scores=(570, 575, 578))

    assert assessment.risk_tier.name == "deep-subprime"
    assert assessment.decision == "denied"
    assert "credit score too low" in assessment.reason
    assert "average score 574" in assessment.reason


@pytest.mark.parametrize(
    ("scores", "tier", "rate"),
    [
        ((800, 790, 780), "prime", "5.25%"),
        ((700, 700, 700), "near-prime", "7.50%"),
        ((600, 610, 620), "subprime", "11.00%"),
    ],
)
def test_an_ordinary_applicant_above_deep_subprime_with_low_debts_is_approved(scores, tier, rate):
    assessment = ordinary(1_000.0, scores=scores)

    assert assessment.decision == "approved"
    assert assessment.reason.startswith(f"credit approved: {tier} tier at {rate}")


@settings(derandomize=True, database=None, max_examples=300)
@given(
    sin=st.integers(min_value=0, max_value=9_999)
    .map(lambda n: f"{n:04d}")
    .filter(lambda s: s not in (ALICE, BOB, CHARLIE)),
    amount_cents=st.integers(min_value=100_000, max_value=100_000_000),
    income_cents=st.integers(min_value=1_000_000, max_value=50_000_000),
)
def test_an_ordinary_applicant_is_approved_only_when_both_rules_allow_it(sin, amount_cents, income_cents):
    app = application(sin_last4=sin, loan_amount=amount_cents / 100, annual_income=income_cents / 100)

    assessment = assess_credit(app, bureau_reports(sin))

    deep = assessment.risk_tier.name == "deep-subprime"
    too_indebted = assessment.estimated_dti > MAX_DEBT_TO_INCOME
    assert (assessment.decision == "approved") == (not deep and not too_indebted)
    if deep:
        assert "credit score too low" in assessment.reason
    elif too_indebted:
        assert "debt-to-income" in assessment.reason and "limit" in assessment.reason


def test_ordinary_applicants_are_not_approved_by_default():
    outcomes = {"approved": 0, "denied for the score": 0, "denied for debt-to-income": 0}
    for n in range(1_000):
        sin = f"{n:04d}"
        if sin in (ALICE, BOB, CHARLIE):
            continue
        app = application(sin_last4=sin, annual_income=60_000.0, loan_amount=25_000.0)
        assessment = assess_credit(app, bureau_reports(sin))
        if assessment.decision == "approved":
            outcomes["approved"] += 1
        elif "credit score too low" in assessment.reason:
            outcomes["denied for the score"] += 1
        else:
            assert "debt-to-income" in assessment.reason, assessment.reason
            outcomes["denied for debt-to-income"] += 1

    assert all(count > 50 for count in outcomes.values()), outcomes


# --- demo profiles -----------------------------------------------------------------------------------------------


def demo(sin: str, amount: float, income: float):
    app = application(sin_last4=sin, loan_amount=amount, annual_income=income)
    return assess_credit(app, bureau_reports(sin))


@pytest.mark.parametrize("income", [185_000.0, 40_000.0], ids=["seed income", "low income"])
def test_alice_is_approved_for_150000(income):
    assessment = demo(ALICE, 150_000.0, income)

    assert assessment.decision == "approved"
    assert assessment.risk_tier.name == "prime"


@pytest.mark.parametrize(("amount", "income"), [(50_000.0, 62_000.0), (1_000.0, 500_000.0)], ids=["seed", "tiny loan"])
def test_bob_is_denied_for_a_credit_score_too_low(amount, income):
    assessment = demo(BOB, amount, income)

    assert assessment.decision == "denied"
    assert assessment.risk_tier.name == "deep-subprime"
    assert "credit score too low" in assessment.reason


@pytest.mark.parametrize("income", [72_000.0, 30_000.0])
@pytest.mark.parametrize("amount", [25_000.0, 24_999.99, 5_000.0])
def test_charlie_is_approved_up_to_25000(amount, income):
    assessment = demo(CHARLIE, amount, income)

    assert assessment.decision == "approved"
    assert assessment.risk_tier.name == "near-prime"


@pytest.mark.parametrize("amount", [25_000.01, 30_000.0])
def test_charlie_is_denied_above_25000(amount):
    assessment = demo(CHARLIE, amount, 72_000.0)

    assert CHARLIE_LIMIT == 25_000
    assert assessment.decision == "denied"
    assert "$25,000 limit" in assessment.reason


# --- the reports the assessment needs ------------------------------------------------------------------------------


def _report(bureau: str) -> BureauReport:
    return BureauReport(bureau=bureau, credit_score=700, derogatory_marks=0, monthly_debt_payments=500.0)


@pytest.mark.parametrize(
    "bureaus",
    [
        (),
        ("equifax", "transunion"),
        ("equifax", "equifax", "experian"),
        ("equifax", "transunion", "experian", "experian"),
        ("equifax", "transunion", "innovis"),
    ],
    ids=["none", "one missing", "one duplicated", "one extra", "one unknown"],
)
def test_assessment_needs_exactly_one_report_per_bureau(bureaus):
    with pytest.raises(ValueError, match="exactly one report from each"):
        assess_credit(application(), [_report(bureau) for bureau in bureaus])


def test_the_order_of_the_reports_does_not_matter():
    forward = reports((700, 710, 720), monthly_debt=800.0)

    assert assess_credit(application(), forward) == assess_credit(application(), list(reversed(forward)))


def test_an_ordinary_sin_is_not_a_demo_profile():
    assert ORDINARY_SIN not in (ALICE, BOB, CHARLIE)


def test_every_amount_validation_accepts_can_be_assessed():
    try:
        app = validate_application(form(loan_amount=1e30))
    except ApplicationInvalid:
        return  # rejecting it at intake is a fix too

    assessment = assess_credit(app, reports(NEAR_PRIME_SCORES))

    assert assessment.decision in ("approved", "denied")
