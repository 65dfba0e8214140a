"""Runs demo cases through the HTTP API on a local stack, with simulated people and services answering.

Each run: POST /apply → poll GET /status until the workflow ends; when it waits for a manager, the
simulated manager reads GET /approvals and answers POST /approve/{id} with the case's decision. The fraud
service answers its callback by itself. Then the run's figures are read from the histories.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from duoflow.api_client import ApiClient
from duoflow.metrics import durable_operations, state_transitions
from duoflow.runtime import LocalRuntime
from duoflow.scenarios import LoanCase

TERMINAL = ("approved", "denied", "failed")
ASSESSMENT_FUNCTION = "loan-assessment"


class RunDidNotFinish(RuntimeError):
    pass


@dataclass(frozen=True)
class RunResult:
    scenario: str
    case: str
    variant: str
    id: str
    applicant: str
    amount: float
    outcome: str
    reason: str
    latency_ms: float
    state_transitions: int
    durable_operations: int
    expected_outcome: str
    offer: dict[str, Any] | None = None

    @property
    def as_expected(self) -> bool:
        return self.outcome == self.expected_outcome

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "as_expected": self.as_expected}


def run_loan_case(runtime: LocalRuntime, case: LoanCase, variant: str, deadline_seconds: float = 60) -> RunResult:
    api = ApiClient(runtime.client("lambda"))
    sfn, lambda_client = runtime.client("stepfunctions"), runtime.client("lambda")
    application_id = f"{case.case}-{uuid.uuid4().hex[:8]}"
    deadline = time.perf_counter() + deadline_seconds
    began = time.perf_counter()
    started = api.post("/apply", {**case.application, "application_id": application_id}, query={"variant": variant})
    if started.status != 202:
        raise RuntimeError(f"{case.case}: POST /apply answered {started.status}: {started.body}")
    _follow(api, sfn, case, application_id, started.body["execution_arn"], deadline)
    latency_ms = (time.perf_counter() - began) * 1000
    status = api.get(f"/status/{application_id}").body
    wait_for_durable_end(lambda_client, application_id, deadline)
    return RunResult(
        scenario="loan",
        case=case.case,
        variant=variant,
        id=application_id,
        applicant=case.application["applicant_name"],
        amount=case.application["loan_amount"],
        outcome=status["status"],
        reason=status.get("reason", ""),
        latency_ms=round(latency_ms, 1),
        state_transitions=state_transitions(sfn, started.body["execution_arn"]),
        durable_operations=durable_operations(lambda_client, ASSESSMENT_FUNCTION, application_id),
        expected_outcome=case.expected["outcome"],
        offer=status.get("offer"),
    )


def _follow(api: ApiClient, sfn: Any, case: LoanCase, application_id: str, execution_arn: str, deadline: float) -> None:
    """Watch the application as its applicant and manager would, until the workflow execution ends."""
    answered = False
    while time.perf_counter() < deadline:
        if sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING":
            return
        if not answered:
            response = api.get(f"/status/{application_id}")
            if response.status == 200 and response.body["awaiting_manager"]:
                _simulated_manager(api, case, application_id)
                answered = True
        time.sleep(0.002)  # polling, as the web frontend does; the workflow runs on its own threads
    raise RunDidNotFinish(f"{case.case} ({application_id}) did not finish within the deadline")


def wait_for_durable_end(lambda_client: Any, application_id: str, deadline: float) -> None:
    """The durable assessment answers the workflow in its last step and ends a moment later."""
    while time.perf_counter() < deadline:
        executions = lambda_client.list_durable_executions_by_function(
            FunctionName=ASSESSMENT_FUNCTION, DurableExecutionName=application_id
        )["DurableExecutions"]
        if all(execution["Status"] != "RUNNING" for execution in executions):
            return
        time.sleep(0.002)
    raise RunDidNotFinish(f"the durable assessment of {application_id} did not finish within the deadline")


def _simulated_manager(api: ApiClient, case: LoanCase, application_id: str) -> None:
    if case.manager is None:
        return  # nobody answers: the approval times out
    pending = [item["application_id"] for item in api.get("/approvals").body["approvals"]]
    if application_id in pending:
        response = api.post(f"/approve/{application_id}", case.manager)
        if response.status != 200:
            raise RuntimeError(f"{case.case}: POST /approve answered {response.status}: {response.body}")


def run_cases(
    runtime: LocalRuntime,
    cases: list[LoanCase],
    variants: list[str],
    on_done: Callable[[RunResult], None] = lambda result: None,
) -> list[RunResult]:
    results = []
    for variant in variants:
        for case in cases:
            result = run_loan_case(runtime, case, variant)
            on_done(result)
            results.append(result)
    return results
