"""The runtime stopped and started again on the same state directory: every execution carries on, nothing is lost,
nothing happens twice. (tests/reliability/ does the same with SIGKILL at every step, through a real server.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoflow.api_client import ApiClient, role_claims
from duoflow.demo import api_client_for
from duoflow.runtime import LocalRuntime, ResourceRef, TimeControl
from duoflow.scenarios import loan_cases
from duoflow.stack import local_stack
from services.api.routes import MANAGER_ROLE
from tests.waiting import wait_until

# A manager's 30 minutes take 90 s of real time: they never run out while a test restarts the runtime, and a
# timeout that fires within the 30 s deadlines below fired because it was due, not because its time ran out.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.05)
VARIANTS = ("sfn", "durable", "hybrid")
ENDED = ("approved", "denied")
EXPECTED_TRAIL = [
    "received",
    "credit-assessed",
    "fraud-requested",
    "fraud-checked",
    "manager-approval-requested",
    "manager-decision",
    "offer",
    "disbursed",
    "decision",
]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("restart-state")


def running(state_dir: Path) -> Iterator[LocalRuntime]:
    return local_stack(TIME_CONTROL, state_dir=state_dir)


def manager_of(api: ApiClient) -> ApiClient:
    return api.acting_as(role_claims(MANAGER_ROLE, "dana.lee"))


def pending_ids(api: ApiClient) -> set[str]:
    return {item["application_id"] for item in manager_of(api).get("/approvals").body["approvals"]}


def status(api: ApiClient, application_id: str) -> dict:
    return api.get(f"/status/{application_id}").body


def paid(runtime: LocalRuntime, application_id: str) -> int:
    """Disbursements recorded for an application, counted where the money goes (the disbursement entries)."""
    entries = status(api_client_for(runtime), application_id).get("log", [])
    return sum(1 for entry in entries if entry["entry_id"] == "disbursed")


def submit_on_every_variant(api: ApiClient, case: str, prefix: str) -> dict[str, str]:
    """The case's application once on each variant, each under its own id; returns variant → application id."""
    [loan] = loan_cases([case])
    ids = {variant: f"{prefix}-{variant}-{uuid.uuid4().hex[:8]}" for variant in VARIANTS}
    for variant, application_id in ids.items():
        body = {**loan.application, "application_id": application_id}
        assert api.post("/apply", body, query={"variant": variant}).status == 202
    return ids


def test_pending_approvals_survive_a_restart_on_every_variant(state_dir: Path) -> None:
    with running(state_dir) as runtime:
        api = api_client_for(runtime)
        ids = submit_on_every_variant(api, "alice", "alice")
        wait_until(lambda: set(ids.values()) <= pending_ids(api), what="three approvals pending")

    with running(state_dir) as runtime:
        assert runtime.resumed["running Step Functions executions"] >= 2  # sfn and hybrid
        assert runtime.resumed["running durable executions"] >= 1
        api = api_client_for(runtime)
        assert set(ids.values()) <= pending_ids(api), "a pending approval was lost in the restart"
        for application_id in ids.values():
            answer = {"approved": True, "manager": "Dana Lee", "comment": "after the restart"}
            assert manager_of(api).post(f"/approve/{application_id}", answer).status == 200
        for variant, application_id in ids.items():
            ended = wait_until(
                lambda application_id=application_id: (
                    status(api, application_id).get("status") in ENDED and status(api, application_id)
                ),
                what=f"{variant} run ends",
            )
            assert ended["status"] == "approved", variant
            assert ended["reason"] == "manager Dana Lee approved: after the restart"
            assert [entry["entry_id"] for entry in ended["log"]] == EXPECTED_TRAIL, variant
            assert paid(runtime, application_id) == 1


def test_finished_runs_are_still_listed_and_never_paid_twice(state_dir: Path) -> None:
    [charlie] = loan_cases(["charlie"])
    with running(state_dir) as runtime:
        api = api_client_for(runtime)
        ids = submit_on_every_variant(api, "charlie", "charlie")
        for application_id in ids.values():
            wait_until(
                lambda application_id=application_id: status(api, application_id).get("status") in ENDED,
                what="run ends",
            )
        sfn = runtime.client("stepfunctions")
        machine = runtime.resolve(ResourceRef("state_machine", "loan-hybrid", "arn"))
        hybrid_arn = next(
            e["executionArn"]
            for e in sfn.list_executions(stateMachineArn=machine)["executions"]
            if e["executionArn"].endswith(ids["hybrid"])
        )
        # The application's status is final a step before the execution ends (it still notifies the applicant).
        wait_until(lambda: runtime.execution_status(hybrid_arn) == "SUCCEEDED", what="execution ends")
        before = {e["executionArn"]: e for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
        history_before = sfn.get_execution_history(executionArn=hybrid_arn, maxResults=1000)["events"]

    with running(state_dir) as runtime:
        api = api_client_for(runtime)
        sfn = runtime.client("stepfunctions")
        after = {e["executionArn"]: e for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
        assert set(before) <= set(after)
        assert after[hybrid_arn]["status"] == "SUCCEEDED"
        described = sfn.describe_execution(executionArn=hybrid_arn)
        assert described["status"] == "SUCCEEDED" and described["output"]
        history_after = sfn.get_execution_history(executionArn=hybrid_arn, maxResults=1000)["events"]
        assert history_after == history_before  # every event, its time to the millisecond and its details
        for variant, application_id in ids.items():
            assert status(api, application_id)["status"] == "approved"
            body = {**charlie.application, "application_id": application_id}
            again = api.post("/apply", body, query={"variant": variant})
            # Answered with the workflow that already ran, on every variant: never a second run.
            assert again.status == 200, (variant, again.status, again.body)
            elsewhere = api.post("/apply", body, query={"variant": "durable" if variant != "durable" else "sfn"})
            assert elsewhere.status == 409 and elsewhere.body["variant"] == variant, elsewhere.body
        assert runtime.durable_statuses("loan-workflow", ids["durable"]) == ["SUCCEEDED"]
        for application_id in ids.values():
            assert paid(runtime, application_id) == 1


def test_a_timeout_that_fell_due_while_the_runtime_was_down_fires_on_start(state_dir: Path) -> None:
    """A manager who had 30 minutes has what was left of them after a restart, not 30 new ones: here nothing was
    left (the due dates are moved into the past while the runtime is down), so every variant times out at once."""
    with running(state_dir) as runtime:
        api = api_client_for(runtime)
        ids = submit_on_every_variant(api, "alice", "alice-late")
        wait_until(lambda: set(ids.values()) <= pending_ids(api), what="three approvals pending")
        journal = runtime.journal
    # The runtime is down; time passes: every journaled due date of these runs is now in the past.
    import sqlite3

    with sqlite3.connect(journal.path) as db:
        db.execute("UPDATE sfn_timers SET due = ? WHERE arn LIKE '%alice-late-%'", (time.time() - 1,))
        db.execute("UPDATE durable_timers SET due = ? WHERE key LIKE 'callback:%'", (time.time() - 1,))

    with running(state_dir) as runtime:
        api = api_client_for(runtime)
        for variant, application_id in ids.items():
            ended = wait_until(
                lambda application_id=application_id: (
                    status(api, application_id).get("status") in ENDED and status(api, application_id)
                ),
                timeout=30,  # the remaining 90 s would be far more: this ends only if the timeout fired at once
                what=f"{variant} run times out",
            )
            assert (ended["status"], ended["reason"]) == ("denied", "no manager decision"), variant
