"""Step "Request Manager Approval": files the request (with the workflow's task token) where managers see it,
and tells them. The workflow then waits until a manager answers through POST /approve/{id}
(services/approvals/decisions.py) or the approval times out."""

from __future__ import annotations

from typing import Any

from domain.loan.models import AssessmentResult, LoanApplication
from services.common.bootstrap import adapters
from services.common.progress import ProgressEntry, utc_now
from services.common.reply_to import ReplyTo


def handler(event: dict[str, Any], context: Any) -> None:
    request_manager_approval(
        LoanApplication.model_validate(event["application"]),
        AssessmentResult.model_validate(event["assessment"]),
        reply_to=ReplyTo.task_token(event["task_token"]),
    )


def request_manager_approval(application: LoanApplication, assessment: AssessmentResult, reply_to: ReplyTo) -> None:
    """``reply_to`` is how the manager's answer resumes the workflow (a task token or a durable callback id); it is
    kept in the pending approval."""
    clients = adapters()
    clients.progress.put_pending_approval(
        application.application_id,
        {
            **reply_to.as_fields(),
            "applicant_name": application.applicant_name,
            "loan_amount": application.loan_amount,
            "risk_tier": assessment.credit.risk_tier.name,
            "average_score": assessment.credit.average_score,
            "requested_at": utc_now(),
        },
    )
    clients.progress.set_status(application.application_id, status="awaiting manager approval")
    clients.progress.record(
        application.application_id,
        ProgressEntry(
            "manager-approval-requested", step="manager approval", message="waiting for a manager's decision"
        ),
    )
    clients.manager_notifier.notify(
        f"Approval needed: {application.applicant_name}, ${application.loan_amount:,.0f}",
        {"application_id": application.application_id, "loan_amount": application.loan_amount},
    )
