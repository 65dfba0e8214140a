"""Small builders for the loan rule tests: a valid form, a ready application, a set of bureau reports."""

from __future__ import annotations

from typing import Any

from domain.loan.models import BureauReport, LoanApplication
from domain.loan.rules import BUREAUS

# A SIN that is none of the demo profiles, so the real credit rule decides.
ORDINARY_SIN = "4821"


def form(**overrides: Any) -> dict[str, Any]:
    """A request body that passes validation; ``overrides`` replace or add fields."""
    body: dict[str, Any] = {
        "applicant_name": "Dana Reyes",
        "sin_last4": ORDINARY_SIN,
        "annual_income": 85_000,
        "loan_amount": 25_000,
        "loan_purpose": "home renovation",
    }
    body.update(overrides)
    return body


def application(**overrides: Any) -> LoanApplication:
    """An already validated application (the rules never see raw input)."""
    fields: dict[str, Any] = {
        "application_id": "loan-test-1",
        "applicant_name": "Dana Reyes",
        "sin_last4": ORDINARY_SIN,
        "annual_income": 85_000.0,
        "loan_amount": 25_000.0,
        "loan_purpose": "home renovation",
    }
    fields.update(overrides)
    return LoanApplication(**fields)


def reports(scores: tuple[int, int, int], marks: int = 0, monthly_debt: float = 500.0) -> list[BureauReport]:
    """One report per bureau, with the given scores and the same marks and debts everywhere."""
    return [
        BureauReport(bureau=bureau, credit_score=score, derogatory_marks=marks, monthly_debt_payments=monthly_debt)
        for bureau, score in zip(BUREAUS, scores, strict=True)
    ]
