"""A manager's answer to a pending approval: resumes the waiting workflow with the decision."""

from __future__ import annotations

import json

from domain.loan.models import ManagerDecision
from domain.loan.rules import manager_reason
from services.common.bootstrap import adapters
from services.common.people import NoLongerWaiting, resume_with_decision
from services.common.progress import ProgressEntry


class NoPendingApproval(LookupError):
    pass


class ApprovalNoLongerPending(RuntimeError):
    pass


def decide(application_id: str, decision: ManagerDecision) -> None:
    clients = adapters()
    pending = clients.progress.pending_approval(application_id)
    if pending is None:
        raise NoPendingApproval(f"no approval is pending for application {application_id}")
    reason = manager_reason(decision)
    answer = json.dumps({**decision.model_dump(mode="json"), "reason": reason})
    decided = ProgressEntry("manager-decision", step="manager approval", message=reason, actor=decision.manager)
    try:
        resume_with_decision(clients.progress, application_id, pending, answer, decided)
    except NoLongerWaiting as error:
        raise ApprovalNoLongerPending(
            f"the approval for {application_id} is no longer pending (it timed out)"
        ) from error
