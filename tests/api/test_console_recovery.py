"""Recovering executions from the console (issue 18, item 1; duoflow/console/recovery.py), end to end on the local
stack: a loan stuck because the fraud service is down is stopped, the service comes back, the run is redriven and
ends approved (Step Functions and hybrid; the hybrid's durable assessment runs again under a new name); a stuck
pure-durable run is stopped and re-run; each action is in the application's audit trail with who did it; and what
is refused, with which status and message."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from duoflow.api_client import ApiClient
from duoflow.audit_export import audit_export
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.runtime.saved_state import SavedState
from duoflow.scenarios import loan_cases
from duoflow.stack import local_stack
from tests.api.conftest import bearer
from tests.failed_runs import failed_sfn_execution
from tests.waiting import wait_until

# The fraud check's 5 minutes last 60 s: a run waiting on a silent fraud service is still waiting when it is stopped.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.2)
CHARLIE = loan_cases(["charlie"])[0].application


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    with local_stack(TIME_CONTROL, state_dir=tmp_path_factory.mktemp("runtime")) as running:
        yield running


@pytest.fixture(scope="module")
def api(runtime: LocalRuntime) -> ApiClient:
    return ApiClient(runtime.client("lambda"))


def act(client: TestClient, action: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/console/api/recovery/{action}", json=body, headers=headers)


def waiting_for_fraud(api: ApiClient, variant: str) -> tuple[str, str | None]:
    """Charlie's application (approved once the fraud service answers) waiting for a fraud service that is down."""
    application_id = f"recover-{variant}-{uuid.uuid4().hex[:6]}"
    started = api.post("/apply", {**CHARLIE, "application_id": application_id}, {"variant": variant})
    assert started.status == 202, started

    def asked() -> bool:
        return "fraud-requested" in [entry["entry_id"] for entry in api.get(f"/status/{application_id}").body["log"]]

    wait_until(asked, what=f"{application_id} asked the fraud service")
    return application_id, started.body.get("execution_arn")


def durable_runs(runtime: LocalRuntime, function: str, prefix: str) -> dict[str, str]:
    listed = runtime.client("lambda").list_durable_executions_by_function(FunctionName=function)
    return {
        run["DurableExecutionName"]: run["Status"]
        for run in listed["DurableExecutions"]
        if run["DurableExecutionName"].startswith(prefix)
    }


def console_trail(runtime: LocalRuntime, application_id: str) -> list[str]:
    export = audit_export(SavedState(runtime.state_dir), application_id)
    return [f"{entry.by}: {entry.what}" for entry in export.trail if entry.by == "Dana Lee"]


@pytest.mark.parametrize("variant", ["sfn", "hybrid"])
def test_a_run_stuck_on_a_down_fraud_service_is_stopped_then_redriven_and_approved(
    runtime, api, client, as_manager, monkeypatch, variant
):
    monkeypatch.setenv("FRAUD_SIMULATION", "silent")  # the fraud service is down: it takes requests, never answers
    application_id, arn = waiting_for_fraud(api, variant)
    sfn = runtime.client("stepfunctions")

    stopped = act(client, "stop", as_manager, arn=arn)
    assert stopped.status_code == 200, stopped.json()
    assert sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"
    if variant == "hybrid":
        assert durable_runs(runtime, "loan-assessment", application_id) == {application_id: "STOPPED"}

    monkeypatch.setenv("FRAUD_SIMULATION", "answer")  # the service is back
    redriven = act(client, "redrive", as_manager, arn=arn)
    assert redriven.status_code == 200, redriven.json()
    assert redriven.json()["redrive_count"] == 1

    def decided() -> dict | None:
        status = api.get(f"/status/{application_id}").body
        return status if status["status"] in ("approved", "denied") else None

    status = wait_until(decided, timeout=60, what=f"{application_id} decided after the redrive")
    assert status["status"] == "approved", status
    assert status["disbursement_reference"].startswith("DSB-")
    # the decision is recorded a few states before the execution ends
    described = wait_until(
        lambda: (found := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and found,
        what="the redriven execution ends",
    )
    assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1
    events = [event["type"] for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]]
    assert events.count("ExecutionAborted") == 1 and events.count("ExecutionRedriven") == 1
    assert events.count("ExecutionStarted") == 1, "the same execution carried on, not a new one"
    if variant == "hybrid":  # the Task invoked the durable assessment again, under a new name
        runs = wait_until(
            lambda: (
                (runs := durable_runs(runtime, "loan-assessment", application_id))
                and runs.get(f"{application_id}-redrive-1") == "SUCCEEDED"
                and runs
            ),
            what="the redriven assessment ends",
        )
        assert runs == {application_id: "STOPPED", f"{application_id}-redrive-1": "SUCCEEDED"}
        # the audit export lists both assessments, the stopped one and the redriven one
        executions = audit_export(SavedState(runtime.state_dir), application_id).executions
        assert [run["status"] for run in executions if run["kind"] == "Durable function"] == ["STOPPED", "SUCCEEDED"]
    trail = console_trail(runtime, application_id)
    assert len(trail) == 2
    assert trail[0].startswith("Dana Lee: Dana Lee (dana.lee, managers) stopped the Step Functions execution " + arn)
    assert trail[1].startswith("Dana Lee: Dana Lee (dana.lee, managers) redrove the Step Functions execution " + arn)
    # the console's own audit export (`duoflow audit ID`) says it too, as a file
    exported = client.get(f"/console/api/audit/{application_id}?format=md", headers=as_manager).text
    assert "redrove the Step Functions execution" in exported and "execution redriven (redrive 1)" in exported


def test_a_stuck_durable_run_is_stopped_and_re_run_with_its_input(runtime, api, client, as_hr, monkeypatch):
    monkeypatch.setenv("FRAUD_SIMULATION", "silent")
    application_id, _ = waiting_for_fraud(api, "durable")
    [arn] = [
        run["DurableExecutionArn"]
        for run in runtime.client("lambda").list_durable_executions_by_function(
            FunctionName="loan-workflow", DurableExecutionName=application_id
        )["DurableExecutions"]
    ]
    assert act(client, "rerun", as_hr, arn=arn).status_code == 409  # still running: stop it first
    stopped = act(client, "stop", as_hr, arn=arn)
    assert stopped.status_code == 200 and stopped.json()["status"] == "STOPPED"
    monkeypatch.setenv("FRAUD_SIMULATION", "answer")
    rerun = act(client, "rerun", as_hr, arn=arn)
    assert rerun.status_code == 202, rerun.json()
    new_arn = rerun.json()["started"]
    assert new_arn != arn
    lam = runtime.client("lambda")
    ended = wait_until(
        lambda: (run := lam.get_durable_execution(DurableExecutionArn=new_arn))["Status"] != "RUNNING" and run,
        timeout=60,
        what="the re-run ends",
    )
    assert ended["Status"] == "SUCCEEDED", ended
    assert ended["InputPayload"] == lam.get_durable_execution(DurableExecutionArn=arn)["InputPayload"]
    assert api.get(f"/status/{application_id}").body["status"] == "approved"
    export = audit_export(SavedState(runtime.state_dir), application_id)
    assert [entry.by for entry in export.trail].count("Priya Shah") == 2  # stop and re-run, by the hr role's person
    # the export lists the re-run beside the run it replaced, and its steps are in the trail
    assert [(run["arn"], run["status"]) for run in export.executions] == [(arn, "STOPPED"), (new_arn, "SUCCEEDED")]


def test_start_again_runs_a_new_execution_with_the_same_input(runtime, client, as_manager):
    arn = failed_sfn_execution(runtime, "loan-sfn")
    started = act(client, "start-again", as_manager, arn=arn)
    assert started.status_code == 202, started.json()
    sfn = runtime.client("stepfunctions")
    new = sfn.describe_execution(executionArn=started.json()["started"])
    assert new["input"] == sfn.describe_execution(executionArn=arn)["input"] and new["executionArn"] != arn
    # what the audit export reads lists the execution started again beside the failed one
    name = sfn.describe_execution(executionArn=arn)["name"]
    listed = [run["arn"] for run in SavedState(runtime.state_dir).state_machine_executions(name)]
    assert listed == [arn, new["executionArn"]]


def test_what_is_refused_and_why(runtime, client, as_manager, signer):
    failed = failed_sfn_execution(runtime, "loan-sfn")
    # no token, a bad token, a token with no role
    assert act(client, "redrive", {}, arn=failed).status_code == 401
    assert act(client, "redrive", bearer("not-a-token"), arn=failed).status_code == 401
    roleless = bearer(signer.issue({"sub": "someone", "cognito:username": "someone"}))
    assert act(client, "stop", roleless, arn=failed).status_code == 403
    # the body names the field
    missing = act(client, "redrive", as_manager)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "arn"
    extra = act(client, "redrive", as_manager, arn=failed, force=True)
    assert extra.status_code == 400 and extra.json()["errors"][0]["field"] == "force"
    assert act(client, "redrive", as_manager, arn="nonsense").json()["errors"][0]["field"] == "arn"
    # no such execution
    nobody = failed.rsplit(":", 1)[0] + ":nobody-" + uuid.uuid4().hex[:6]
    assert act(client, "redrive", as_manager, arn=nobody).status_code == 404
    # a run that ended in its Fail state after a caught error: a redrive would only run the Fail state again
    caught = act(client, "redrive", as_manager, arn=failed)
    assert caught.status_code == 409
    assert "ended in its Fail state \u201cApplication Rejected as Invalid\u201d" in caught.json()["message"]
    assert "Start again with this input" in caught.json()["message"]
    # a finished run is not stopped; a Step Functions run is not re-run as a durable one
    assert act(client, "stop", as_manager, arn=failed).status_code == 409
    wrong_kind = act(client, "rerun", as_manager, arn=failed)
    assert wrong_kind.status_code == 400 and wrong_kind.json()["errors"][0]["field"] == "arn"
    # nothing refused was recorded or run
    assert runtime.client("stepfunctions").describe_execution(executionArn=failed)["redriveCount"] == 0
