"""Manager approval: step "Request Manager Approval" files the application (with the workflow's task token or
durable callback id) where managers see it (GET /approvals) and tells them; ``answer_manager_approval`` is the
manager's answer (POST /approve/{id}), which resumes the waiting workflow. Nobody answering within the timeout
denies the loan ("no manager decision")."""

from __future__ import annotations

from typing import Any

from domain.loan.models import AssessmentResult, LoanApplication, ManagerAnswer, ManagerDecision
from domain.loan.rules import manager_reason, manager_verdict
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.people import NoLongerWaiting, resume_with_decision
from services.common.progress import ProgressEntry, utc_now
from services.common.reply_to import ReplyTo


class NoPendingApproval(LookupError):
    pass


class ApprovalNoLongerPending(RuntimeError):
    pass


@logged(at("application", "application_id"))
def handler(event: dict[str, Any], context: Any) -> None:
    request_manager_approval(
        wired(),
        LoanApplication.model_validate(event["application"]),
        AssessmentResult.model_validate(event["assessment"]),
        reply_to=ReplyTo.task_token(event["task_token"]),
    )


def request_manager_approval(
    adapters: Adapters, application: LoanApplication, assessment: AssessmentResult, reply_to: ReplyTo
) -> None:
    """``reply_to`` is how the manager's answer resumes the workflow (a task token or a durable callback id); it is
    kept in the pending approval. The audit trail says the approval was requested before a manager can see it, so
    an answer never comes before its request in the trail."""
    adapters.progress.record(
        application.application_id,
        ProgressEntry(
            "manager-approval-requested", step="manager approval", message="waiting for a manager's decision"
        ),
    )
    adapters.progress.put_pending_approval(
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
    adapters.progress.set_status(application.application_id, status="awaiting manager approval")
    adapters.manager_notifier.notify(
        f"Approval needed: {application.applicant_name}, ${application.loan_amount:,.0f}",
        {"application_id": application.application_id, "loan_amount": application.loan_amount},
    )


def answer_manager_approval(adapters: Adapters, application_id: str, decision: ManagerDecision) -> None:
    """The manager's answer: resumes the workflow waiting on this application's approval."""
    pending = adapters.progress.pending_approval(application_id)
    if pending is None:
        raise NoPendingApproval(f"no approval is pending for application {application_id}")
    answer = ManagerAnswer(**decision.model_dump(), reason=manager_reason(decision))
    decided = ProgressEntry(
        "manager-decision",
        step="manager approval",
        message=answer.reason,
        actor=answer.manager,
        outcome=manager_verdict(decision),
    )
    try:
        resume_with_decision(adapters, adapters.progress, application_id, pending, answer.model_dump_json(), decided)
    except NoLongerWaiting as error:
        raise ApprovalNoLongerPending(
            f"the approval for {application_id} is no longer pending (it timed out)"
        ) from error
