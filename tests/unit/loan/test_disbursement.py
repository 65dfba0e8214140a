"""The disbursement reference: one per application, so a second disbursement reuses it and the audit trail refuses."""

from __future__ import annotations

import re

import pytest

from domain.loan.rules import disbursement_reference

REFERENCE = re.compile(r"DSB-[0-9]{10}")


@pytest.mark.parametrize("application_id", ["loan-0123456789ab", "a", "x" * 64, "Loan_2024-07"])
def test_the_reference_is_dsb_and_ten_digits(application_id):
    assert REFERENCE.fullmatch(disbursement_reference(application_id))


@pytest.mark.parametrize("application_id", ["loan-0123456789ab", "a"])
def test_the_same_application_always_gets_the_same_reference(application_id):
    assert disbursement_reference(application_id) == disbursement_reference(application_id)


def test_the_reference_does_not_depend_on_the_process():
    # pinned: a replay, a retry or a rerun in another process (another PYTHONHASHSEED) must give this reference
    assert disbursement_reference("loan-0123456789ab") == "DSB-1565873677"


def test_different_applications_get_different_references():
    ids = [f"loan-{n:012x}" for n in range(2_000)]

    references = {disbursement_reference(application_id) for application_id in ids}

    assert len(references) == len(ids)
    assert all(REFERENCE.fullmatch(reference) for reference in references)
