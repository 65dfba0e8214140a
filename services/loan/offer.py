"""Step "Generate Loan Offer": 60-month amortized offer at the applicant's risk-tier rate."""

from __future__ import annotations

from typing import Any

from domain.loan.models import AssessmentResult, LoanApplication, LoanOffer
from domain.loan.rules import generate_offer
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


@logged(at("application", "application_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    application = LoanApplication.model_validate(event["application"])
    assessment = AssessmentResult.model_validate(event["assessment"])
    return make_offer(wired(), application, assessment).model_dump(mode="json")


def make_offer(adapters: Adapters, application: LoanApplication, assessment: AssessmentResult) -> LoanOffer:
    offer = generate_offer(application, assessment.credit.risk_tier)
    adapters.progress.record(
        application.application_id,
        ProgressEntry(
            "offer",
            step="offer",
            message=f"offer: {offer.term_months} months at {offer.annual_rate_percent:.2f}%, ${offer.monthly_payment:,.2f} a month",
        ),
    )
    return offer
