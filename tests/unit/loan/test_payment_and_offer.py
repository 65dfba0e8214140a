"""The 60-month amortized offer: level monthly payment, rate from the tier, totals in cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.rules import (
    DEEP_SUBPRIME,
    NEAR_PRIME,
    OFFER_TERM_MONTHS,
    PRIME,
    SUBPRIME,
    generate_offer,
    monthly_payment,
)
from tests.unit.loan.builders import application

TIERS = (PRIME, NEAR_PRIME, SUBPRIME, DEEP_SUBPRIME)


def amortized(principal: str, annual_rate_percent: str, months: int = 60) -> Decimal:
    """P·r / (1 − (1 + r)^−n) in exact rational arithmetic, rounded half up to cents: independent of the code."""
    p, r = Fraction(principal), Fraction(annual_rate_percent) / 1200
    exact = p / months if r == 0 else p * r / (1 - (1 + r) ** -months)
    cents = exact * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


def test_the_offer_term_is_60_months():
    assert OFFER_TERM_MONTHS == 60


def test_the_worked_example_from_the_brief():
    # $25,000 at 7.50 % over 60 months: r = 0.00625, (1 + r)^60 = 1.45329..., payment 500.9487... → $500.95
    assert amortized("25000", "7.50") == Decimal("500.95")
    assert monthly_payment(25_000, 7.50) == 500.95


@pytest.mark.parametrize(
    ("principal", "rate"),
    [
        ("25000", "7.50"),
        ("150000", "5.25"),
        ("50000", "15.00"),
        ("12345.67", "11.00"),
        ("0.01", "15.00"),
        ("1000000", "5.25"),
        ("99999.99", "7.50"),
    ],
)
def test_monthly_payment_matches_the_amortization_formula(principal, rate):
    assert Decimal(str(monthly_payment(float(principal), float(rate)))) == amortized(principal, rate)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [(12_000, 200.00), (10_000, 166.67), (100, 1.67), (1, 0.02), (59.7, 1.00), (60.30, 1.01), (61.50, 1.03)],
    ids=["even", "third up", "third up small", "one dollar", "down", "half cent 1.005 up", "half cent 1.025 up"],
)
def test_with_no_interest_the_payment_is_the_principal_split_evenly(principal, expected):
    assert monthly_payment(principal, 0) == expected


def test_a_shorter_term_can_be_asked_for():
    assert Decimal(str(monthly_payment(25_000, 7.50, term_months=12))) == amortized("25000", "7.50", 12)


@settings(derandomize=True, database=None, max_examples=300)
@given(cents=st.integers(min_value=1, max_value=10**9), tier=st.sampled_from(TIERS))
def test_monthly_payment_matches_the_formula_for_any_amount(cents, tier):
    principal = Decimal(cents) / 100

    expected = amortized(str(principal), str(tier.annual_rate_percent))

    assert Decimal(str(monthly_payment(float(principal), tier.annual_rate_percent))) == expected


def test_the_offer_for_the_worked_example():
    offer = generate_offer(application(loan_amount=25_000.0), NEAR_PRIME)

    assert offer.principal == 25_000.00
    assert offer.annual_rate_percent == 7.50
    assert offer.term_months == 60
    assert offer.monthly_payment == 500.95
    assert offer.total_repayment == 30_057.00
    assert offer.total_interest == 5_057.00


@pytest.mark.parametrize("tier", TIERS, ids=lambda tier: tier.name)
@pytest.mark.parametrize("amount", [0.01, 5_000.0, 12_345.67, 25_000.01, 150_000.0, 1_000_000.0])
def test_the_offer_totals_are_the_payment_times_the_term_in_cents(tier, amount):
    offer = generate_offer(application(loan_amount=amount), tier)

    payment = Decimal(str(offer.monthly_payment))
    assert offer.principal == amount
    assert offer.annual_rate_percent == tier.annual_rate_percent
    assert offer.term_months == 60
    assert payment == amortized(str(Decimal(str(amount))), str(tier.annual_rate_percent))
    assert Decimal(str(offer.total_repayment)) == payment * 60
    assert Decimal(str(offer.total_interest)) == payment * 60 - Decimal(str(amount))
    for value in (offer.monthly_payment, offer.total_repayment, offer.total_interest):
        assert Decimal(str(value)) == Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
