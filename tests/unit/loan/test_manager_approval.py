"""Manager approval: $100,000 and above needs a manager (inclusive); their decision becomes the reason."""

from __future__ import annotations

import pytest

from domain.loan.models import ManagerDecision
from domain.loan.rules import (
    MANAGER_APPROVAL_THRESHOLD,
    MANAGER_APPROVAL_TIMEOUT_SECONDS,
    NO_MANAGER_DECISION_REASON,
    manager_reason,
    requires_manager_approval,
)


@pytest.mark.parametrize(
    ("amount", "needed"),
    [
        (0.01, False),
        (25_000.0, False),
        (99_999.99, False),
        (100_000, True),
        (100_000.0, True),
        (100_000.01, True),
        (150_000.0, True),
    ],
)
def test_a_manager_approves_100000_and_above(amount, needed):
    assert MANAGER_APPROVAL_THRESHOLD == 100_000
    assert requires_manager_approval(amount) is needed


def test_the_manager_has_30_minutes_then_the_loan_is_denied_with_no_manager_decision():
    assert MANAGER_APPROVAL_TIMEOUT_SECONDS == 30 * 60
    assert NO_MANAGER_DECISION_REASON == "no manager decision"


@pytest.mark.parametrize(
    ("approved", "comment", "reason"),
    [
        (True, "", "manager Maria Chen approved"),
        (True, "income verified", "manager Maria Chen approved: income verified"),
        (False, "", "manager Maria Chen denied"),
        (False, "too much existing debt", "manager Maria Chen denied: too much existing debt"),
    ],
)
def test_the_manager_reason_says_who_decided_what_and_why(approved, comment, reason):
    assert manager_reason(ManagerDecision(approved=approved, manager="Maria Chen", comment=comment)) == reason


def test_a_decision_without_a_comment_has_no_trailing_colon():
    assert manager_reason(ManagerDecision(approved=True, manager="Maria Chen")) == "manager Maria Chen approved"
