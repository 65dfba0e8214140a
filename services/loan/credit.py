"""Credit assessment as every variant runs it: pull a bureau's report; score the three reports and record it.

The durable functions call these inside their steps; the pure Step Functions variant calls them through the
Lambda handlers below (one per Task state)."""

from __future__ import annotations

from typing import Any

from domain.loan.models import BureauReport, CreditAssessment, LoanApplication
from domain.loan.rules import assess_credit
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


def pull_credit_report(adapters: Adapters, bureau: str, sin_last4: str) -> BureauReport:
    return adapters.bureaus.pull(bureau, sin_last4)


def score_credit(adapters: Adapters, application: LoanApplication, reports: list[BureauReport]) -> CreditAssessment:
    credit = assess_credit(application, reports)
    adapters.progress.record(
        application.application_id,
        ProgressEntry(
            "credit-assessed",
            step="credit assessment",
            message=f"average score {credit.average_score}, {credit.risk_tier.name} tier, "
            f"debt-to-income {credit.estimated_dti:.1%}: {credit.reason}",
        ),
    )
    return credit


@logged(at("application_id"))
def report_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Pull <Bureau> Report": {"bureau", "sin_last4", "application_id" (what its logs are keyed by)} → the bureau's report."""
    return pull_credit_report(wired(), event["bureau"], event["sin_last4"]).model_dump(mode="json")


@logged(at("application", "application_id"))
def scoring_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Score Credit": {"application", "reports"} → the credit assessment."""
    application = LoanApplication.model_validate(event["application"])
    reports = [BureauReport.model_validate(report) for report in event["reports"]]
    return score_credit(wired(), application, reports).model_dump(mode="json")
