"""A manager's answer to a pending approval: resumes the waiting workflow with the decision."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from domain.loan.models import ManagerDecision
from domain.loan.rules import manager_reason
from services.common.bootstrap import adapters
from services.common.progress import ProgressEntry

# What Step Functions and Lambda answer when the workflow stopped waiting (timed out, or already answered).
NO_LONGER_WAITING = (
    "TaskTimedOut",
    "InvalidToken",
    "TaskDoesNotExist",
    "ResourceNotFoundException",
    "InvalidParameterValueException",
)


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
    try:
        if "callback_id" in pending:
            clients.lambda_client.send_durable_execution_callback_success(
                CallbackId=pending["callback_id"], Result=answer.encode()
            )
        else:
            clients.sfn_client.send_task_success(taskToken=pending["task_token"], output=answer)
    except ClientError as error:
        if error.response["Error"]["Code"] in NO_LONGER_WAITING:
            clients.progress.remove_pending_approval(application_id)
            raise ApprovalNoLongerPending(
                f"the approval for {application_id} is no longer pending (it timed out)"
            ) from error
        raise
    clients.progress.remove_pending_approval(application_id)
    clients.progress.record(
        application_id,
        ProgressEntry("manager-decision", step="manager approval", message=reason, actor=decision.manager),
    )
