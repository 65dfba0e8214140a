"""Risk tiers: prime ≥ 740 with no derogatory marks 5.25 %, near-prime ≥ 670 7.50 %, subprime ≥ 580 11.00 %,
else deep-subprime 15.00 % (ARCHITECTURE.md, "Loan approval", step 3)."""

from __future__ import annotations

import pytest

from domain.loan.rules import assess_credit, risk_tier
from tests.unit.loan.builders import application, reports

PRIME = ("prime", 5.25)
NEAR_PRIME = ("near-prime", 7.50)
SUBPRIME = ("subprime", 11.00)
DEEP_SUBPRIME = ("deep-subprime", 15.00)


@pytest.mark.parametrize(
    ("average_score", "marks", "expected"),
    [
        (850, 0, PRIME),
        (740, 0, PRIME),
        (740, 1, NEAR_PRIME),
        (850, 3, NEAR_PRIME),
        (739, 0, NEAR_PRIME),
        (670, 0, NEAR_PRIME),
        (670, 2, NEAR_PRIME),
        (669, 0, SUBPRIME),
        (580, 0, SUBPRIME),
        (580, 5, SUBPRIME),
        (579, 0, DEEP_SUBPRIME),
        (300, 0, DEEP_SUBPRIME),
    ],
)
def test_risk_tier_at_its_boundaries(average_score, marks, expected):
    tier = risk_tier(average_score, marks)

    assert (tier.name, tier.annual_rate_percent) == expected


@pytest.mark.parametrize(
    ("scores", "expected_average", "tier"),
    [
        ((739, 740, 741), 740, "prime"),
        ((739, 739, 739), 739, "near-prime"),
        ((669, 670, 671), 670, "near-prime"),
        ((669, 669, 669), 669, "subprime"),
        ((579, 580, 581), 580, "subprime"),
        ((579, 579, 579), 579, "deep-subprime"),
    ],
)
def test_assessment_places_the_average_of_the_three_bureaus(scores, expected_average, tier):
    assessment = assess_credit(application(), reports(scores))

    assert assessment.average_score == expected_average
    assert assessment.risk_tier.name == tier


def test_one_bureau_with_a_mark_costs_the_prime_tier():
    marked = reports((800, 800, 800))
    marked[1] = marked[1].model_copy(update={"derogatory_marks": 1})

    assessment = assess_credit(application(), marked)

    assert assessment.derogatory_marks == 1
    assert assessment.risk_tier.name == "near-prime"


@pytest.mark.parametrize(
    ("scores", "tier_below"),
    [((739, 740, 740), "near-prime"), ((669, 670, 670), "subprime"), ((579, 580, 580), "deep-subprime")],
)
def test_an_average_just_below_a_threshold_stays_in_the_lower_tier(scores, tier_below):
    assert sum(scores) / 3 < scores[-1]  # e.g. 739.67 < 740

    assert assess_credit(application(), reports(scores)).risk_tier.name == tier_below
