"""The loan approval's data: what an applicant sends, what the bureaus say, what the lender decides.

Plain, immutable, JSON-ready (``model_dump(mode="json")``) so every variant passes the same shapes between
Step Functions states, durable steps and Lambda handlers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Decision = Literal["approved", "denied"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LoanApplication(Model):
    application_id: str
    applicant_name: str
    sin_last4: str
    annual_income: float
    loan_amount: float
    loan_purpose: str


class BureauReport(Model):
    bureau: str
    credit_score: int
    derogatory_marks: int
    monthly_debt_payments: float


class RiskTier(Model):
    name: Literal["prime", "near-prime", "subprime", "deep-subprime"]
    annual_rate_percent: float


class CreditAssessment(Model):
    average_score: int
    derogatory_marks: int
    risk_tier: RiskTier
    estimated_dti: float
    decision: Decision
    reason: str


class FraudCheckResult(Model):
    passed: bool
    risk_indicators: int
    checked_by: str


class AssessmentResult(Model):
    """What the credit-and-fraud micro flow hands back to the macro flow."""

    application_id: str
    decision: Decision
    reason: str
    credit: CreditAssessment
    fraud: FraudCheckResult | None = None


class ManagerDecision(Model):
    approved: bool
    manager: str
    comment: str = ""


class LoanOffer(Model):
    principal: float
    annual_rate_percent: float
    term_months: int
    monthly_payment: float
    total_repayment: float
    total_interest: float


class LoanOutcome(Model):
    application_id: str
    outcome: Decision
    reason: str
    offer: LoanOffer | None = None
    disbursement_reference: str | None = None
