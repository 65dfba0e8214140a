"""A manager's decision resumes the waiting loan workflow (services/loan/manager_approval.py through
services/common/people.py): recorded in the audit trail before the workflow resumes, and a late answer is
refused with a too-late entry instead of the decision counting."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from domain.loan.models import ManagerDecision
from services.common import bootstrap
from services.common.progress import InMemoryProgressLog
from services.loan.manager_approval import ApprovalNoLongerPending, NoPendingApproval, answer_manager_approval

DANA = ManagerDecision(approved=True, manager="Dana Lee", comment="strong file")


class StepFunctions:
    """Answers a task token; ``timed_out`` plays a workflow that stopped waiting."""

    def __init__(self, progress: InMemoryProgressLog, timed_out: bool = False) -> None:
        self.progress, self.timed_out = progress, timed_out
        self.answers: list[tuple[str, dict, list[str]]] = []

    def send_task_success(self, taskToken: str, output: str) -> dict:  # noqa: N803
        if self.timed_out:
            raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "timed out"}}, "SendTaskSuccess")
        logged = [entry["entry_id"] for entry in self.progress.entries("app-1")]
        self.answers.append((taskToken, json.loads(output), logged))
        return {}


@pytest.fixture
def progress():
    log = InMemoryProgressLog()
    log.put_pending_approval("app-1", {"task_token": "token-1"})
    return log


def wired(progress: InMemoryProgressLog, sfn: StepFunctions) -> bootstrap.Adapters:
    return bootstrap.bootstrap(progress=progress, sfn_client=sfn)


def test_the_decision_is_in_the_audit_trail_before_the_workflow_resumes(progress):
    sfn = StepFunctions(progress)
    answer_manager_approval(wired(progress, sfn), "app-1", DANA)

    [(token, answer, logged_when_resumed)] = sfn.answers
    assert token == "token-1"
    assert answer["approved"] is True and answer["reason"].startswith("manager Dana Lee approved")
    assert logged_when_resumed == ["manager-decision"]
    assert progress.pending_approval("app-1") is None


def test_a_late_answer_is_refused_and_says_so_in_the_audit_trail(progress):
    adapters = wired(progress, StepFunctions(progress, timed_out=True))

    with pytest.raises(ApprovalNoLongerPending, match="no longer pending"):
        answer_manager_approval(adapters, "app-1", DANA)

    entries = {entry["entry_id"]: entry for entry in progress.entries("app-1")}
    assert set(entries) == {"manager-decision", "manager-decision-too-late"}
    assert entries["manager-decision-too-late"]["level"] == "warning"
    assert progress.pending_approval("app-1") is None
    with pytest.raises(NoPendingApproval):
        answer_manager_approval(adapters, "app-1", DANA)
