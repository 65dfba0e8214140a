"""Bureau reports: deterministic per bureau and SIN, bounded, and the demo SINs land in their designed tiers."""

from __future__ import annotations

from statistics import mean

import pytest

from domain.loan.models import BureauReport
from domain.loan.rules import ALICE, BOB, BUREAUS, CHARLIE
from services.simulated.credit_bureaus import simulated_credit_report
from tests.unit.loan.builders import ORDINARY_SIN

EVERY_SIN = [f"{n:04d}" for n in range(10_000)]
DEMO_SINS = (ALICE, BOB, CHARLIE)


@pytest.fixture(scope="module")
def every_report() -> dict[str, list[BureauReport]]:
    """All 10,000 SINs × 3 bureaus (about 0.2 s): the bounds below hold for every input, not a sample."""
    return {sin: [simulated_credit_report(bureau, sin) for bureau in BUREAUS] for sin in EVERY_SIN}


def test_the_three_bureaus():
    assert BUREAUS == ("equifax", "transunion", "experian")


@pytest.mark.parametrize("bureau", BUREAUS)
@pytest.mark.parametrize("sin", [*DEMO_SINS, ORDINARY_SIN, "0000", "9999"])
def test_the_same_bureau_and_sin_give_the_same_report(bureau, sin):
    first = simulated_credit_report(bureau, sin)
    second = simulated_credit_report(bureau, sin)

    assert first == second
    assert first.bureau == bureau


@pytest.mark.parametrize("sin", [*DEMO_SINS, ORDINARY_SIN, "0000", "9999"])
def test_bureaus_disagree_about_the_same_person(sin):
    scores = [simulated_credit_report(bureau, sin).credit_score for bureau in BUREAUS]

    assert len(set(scores)) > 1, scores


def test_bureaus_disagree_for_nearly_every_sin(every_report):
    agreeing = [sin for sin, reports in every_report.items() if len({r.credit_score for r in reports}) == 1]

    assert len(agreeing) < 100  # 1 % of SINs; the spread is a hash of bureau and SIN, so a few coincide


def test_bureaus_disagree_by_at_most_twenty_points(every_report):
    for sin, reports in every_report.items():
        scores = [report.credit_score for report in reports]
        assert max(scores) - min(scores) <= 20, (sin, scores)


def test_every_score_is_within_300_to_850(every_report):
    scores = [report.credit_score for reports in every_report.values() for report in reports]

    assert min(scores) >= 300
    assert max(scores) <= 850


def test_non_demo_reports_have_plausible_marks_and_debts(every_report):
    for sin, reports in every_report.items():
        if sin in DEMO_SINS:
            continue
        for report in reports:
            assert report.derogatory_marks in (0, 1), (sin, report)
            assert 150 <= report.monthly_debt_payments < 2_500, (sin, report)
        # marks and debts are the person's, not the bureau's
        assert len({(r.derogatory_marks, r.monthly_debt_payments) for r in reports}) == 1, sin


@pytest.mark.parametrize("bureau", ["Equifax", "EQUIFAX", "innovis", "", " equifax"])
def test_an_unknown_bureau_is_refused(bureau):
    with pytest.raises(ValueError, match="unknown credit bureau"):
        simulated_credit_report(bureau, ORDINARY_SIN)


def _scores(sin: str) -> list[int]:
    return [simulated_credit_report(bureau, sin).credit_score for bureau in BUREAUS]


def test_alice_scores_in_the_prime_range_with_a_clean_record():
    scores = _scores(ALICE)

    assert all(740 <= score <= 850 for score in scores), scores
    assert mean(scores) >= 740
    assert all(simulated_credit_report(bureau, ALICE).derogatory_marks == 0 for bureau in BUREAUS)


def test_bob_scores_in_the_deep_subprime_range():
    scores = _scores(BOB)

    assert all(300 <= score < 580 for score in scores), scores
    assert all(simulated_credit_report(bureau, BOB).derogatory_marks > 0 for bureau in BUREAUS)


def test_charlie_scores_in_the_near_prime_range():
    scores = _scores(CHARLIE)

    assert all(670 <= score < 740 for score in scores), scores
