"""The loan approval's data: what an applicant sends, what the bureaus say, what the lender decides.

Plain, immutable, JSON-ready (``model_dump(mode="json")``) so every variant passes the same shapes between
Step Functions states, durable steps and Lambda handlers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Decision = Literal["approved", "denied"]
RiskTierName = Literal["prime", "near-prime", "subprime", "deep-subprime"]


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
    name: RiskTierName
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


class FraudCheckOutcome(Model):
    """What came of asking the external fraud service, the same in every variant: its answer (``answered``),
    its failure (``failed``: the error it reported) or its silence until the timeout (``timed out``)."""

    status: Literal["answered", "failed", "timed out"]
    result: FraudCheckResult | None = None
    error: str = ""

    @classmethod
    def answered(cls, result: FraudCheckResult) -> FraudCheckOutcome:
        return cls(status="answered", result=result)

    @classmethod
    def answered_with(cls, answer: str) -> FraudCheckOutcome:
        """The service's answer as it arrives on the callback or task token: its result's JSON."""
        return cls.answered(FraudCheckResult.model_validate_json(answer))

    @classmethod
    def failed(cls, error_type: str, message: str) -> FraudCheckOutcome:
        """``message`` as the service worded it; its error type when it gave none."""
        return cls(status="failed", error=message or error_type)

    @classmethod
    def timed_out(cls) -> FraudCheckOutcome:
        return cls(status="timed out")


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


class ManagerAnswer(Model):
    """The manager's answer as the workflow receives it: the decision and the reason (rules.manager_reason)."""

    approved: bool
    manager: str
    comment: str = ""
    reason: str


class LoanOffer(Model):
    principal: float
    annual_rate_percent: float
    term_months: int
    monthly_payment: float
    total_repayment: float
    total_interest: float


class Disbursement(Model):
    disbursement_reference: str
    paid_now: bool  # False when an earlier call already paid (a retry or a replay): nothing moved this time


class LoanOutcome(Model):
    application_id: str
    outcome: Decision
    reason: str
    offer: LoanOffer | None = None
    disbursement_reference: str | None = None
