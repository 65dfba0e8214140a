"""The three credit bureaus, simulated in every environment of this reference project: a report is a pure
function of the bureau and the SIN, so a replay or a rerun sees the same data. A real integration would be one
more adapter with the same method."""

from __future__ import annotations

import hashlib
from typing import Protocol

from domain.loan.models import BureauReport
from domain.loan.rules import ALICE, BOB, BUREAUS, CHARLIE

# The seed article's demo profiles: sin -> (base credit score, derogatory marks, monthly debt payments)
_DEMO_BUREAU_DATA: dict[str, tuple[int, int, float]] = {
    ALICE: (785, 0, 1_150.0),
    BOB: (548, 3, 1_900.0),
    CHARLIE: (702, 0, 480.0),
}


class CreditBureaus(Protocol):
    def pull(self, bureau: str, sin_last4: str) -> BureauReport: ...


class SimulatedCreditBureaus:
    def pull(self, bureau: str, sin_last4: str) -> BureauReport:
        return simulated_credit_report(bureau, sin_last4)


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def simulated_credit_report(bureau: str, sin_last4: str) -> BureauReport:
    """A bureau's credit report: deterministic per bureau and SIN; bureaus disagree by up to ±10 points."""
    if bureau not in BUREAUS:
        raise ValueError(f"unknown credit bureau {bureau!r}; expected one of {', '.join(BUREAUS)}")
    spread = _digest("spread", bureau, sin_last4) % 21 - 10
    if sin_last4 in _DEMO_BUREAU_DATA:
        base, marks, debt = _DEMO_BUREAU_DATA[sin_last4]
    else:
        base = 520 + _digest("score", sin_last4) % 321  # 520..840
        marks = (_digest("marks", sin_last4) % 10) // 7  # 0 or 1, one SIN in three has a mark
        debt = float(150 + _digest("debt", sin_last4) % 2_350)
    return BureauReport(
        bureau=bureau,
        credit_score=max(300, min(850, base + spread)),
        derogatory_marks=marks,
        monthly_debt_payments=debt,
    )
