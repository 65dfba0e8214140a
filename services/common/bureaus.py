"""The three credit bureaus. Simulated (deterministic per bureau and SIN, domain.loan.rules) in every
environment of this reference project; a real integration would be one more adapter with the same method."""

from __future__ import annotations

from typing import Protocol

from domain.loan.models import BureauReport
from domain.loan.rules import pull_bureau_report


class CreditBureaus(Protocol):
    def pull(self, bureau: str, sin_last4: str) -> BureauReport: ...


class SimulatedCreditBureaus:
    def pull(self, bureau: str, sin_last4: str) -> BureauReport:
        return pull_bureau_report(bureau, sin_last4)
