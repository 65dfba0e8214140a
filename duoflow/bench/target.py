"""``duoflow bench --target aws``: the same cases, through the same code, against a deployed stack.

The demo and the benchmark talk to "where the workflows run" through these: ``client(service)``,
``resolve(ResourceRef)``, ``execution_status(arn)``, ``durable_statuses(function, name)``, ``time_control`` and
``endings``. ``LocalRuntime`` provides them for the embedded runtime; ``DeployedTarget`` provides them for a stack
deployed with ``cdk deploy --outputs-file`` (names and ARNs from catalog/outputs.py). The API is reached as the
local runtime reaches it: an API Gateway HTTP API event to the API function, invoked with the caller's IAM
credentials (the simulated manager's role claim travels in the event, where the JWT authorizer would put it).

What a deployed stack cannot tell from here: each Lambda invocation's billed duration (in CloudWatch Logs'
REPORT lines) and the bytes a durable execution wrote. The deployed report therefore has latency, state
transitions, durable operations and the dollars they cost, and says which figures it lacks.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import boto3
from botocore.config import Config

from catalog.outputs import DeployedStack
from duoflow.bench.pricing import PriceTable, RunFigures, cost_per_million
from duoflow.bench.runner import as_expected, measure_latency, percentile
from duoflow.demo import run_loan_case
from duoflow.runtime import ResourceRef, TimeControl
from duoflow.runtime.in_flight import Endings
from duoflow.scenarios import LoanCase
from duoflow.variants import LOAN_VARIANTS

NOT_MEASURED_ON_AWS = ("lambda_gb_seconds", "durable_bytes_written")


class DeployedTarget:
    """A deployed duoflow stack, as the benchmark sees it."""

    time_control = TimeControl.real()  # people and services answer in real time in AWS

    def __init__(self, deployed: DeployedStack, session: Any = None) -> None:
        self.deployed = deployed
        self._session = session or boto3.session.Session(region_name=deployed.region or None)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.endings = Endings()  # nothing here is told when a deployed execution ends: the watchers poll

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, config=Config(retries={"max_attempts": 5, "mode": "adaptive"})
                )
            return self._clients[service]

    def resolve(self, ref: ResourceRef) -> str:
        stack = self.deployed
        try:
            if ref.kind == "function":
                return (
                    stack.function_alias_arns[ref.logical_name]
                    if ref.attribute == "arn"
                    else stack.function_names[ref.logical_name]
                )
            if ref.kind == "state_machine":
                return stack.state_machine_arns[ref.logical_name]
            if ref.kind == "table":
                return stack.table_names[ref.logical_name]
            if ref.kind == "topic":
                return stack.topic_arns[ref.logical_name]
            if ref.kind == "bucket":
                return stack.bucket_names[ref.logical_name]
        except KeyError:
            raise KeyError(f"the deployed stack {stack.stack_name} has no {ref.kind} {ref.logical_name!r}") from None
        raise KeyError(f"unknown resource kind {ref.kind!r}")

    def execution_status(self, execution_arn: str) -> str | None:
        """None: no such execution (yet: a Standard workflow is visible a moment after StartExecution returns)."""
        try:
            return self.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
        except self.client("stepfunctions").exceptions.ExecutionDoesNotExist:
            return None

    def durable_statuses(self, function_name: str, execution_name: str) -> list[str]:
        executions = self.client("lambda").list_durable_executions_by_function(
            FunctionName=function_name, DurableExecutionName=execution_name
        )["DurableExecutions"]
        return [execution["Status"] for execution in executions]


def bench_deployed(
    target: DeployedTarget,
    cases: list[LoanCase],
    variants: list[str],
    runs: int,
    concurrency: int,
    prices: PriceTable,
    on_run: Any = lambda: None,
) -> dict[str, Any]:
    """The latency pass and the history figures of ``duoflow/bench/runner.py``, on a deployed stack."""
    report: dict[str, Any] = {
        "scenario": "loan",
        "target": {"kind": "aws", "stack": target.deployed.stack_name, "region": target.deployed.region},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "settings": {"runs_per_case": runs, "concurrency": concurrency, "cases": [case.case for case in cases]},
        "prices": {"checked": prices.checked, "sources": prices.sources},
        "not_measured": list(NOT_MEASURED_ON_AWS),
        "variants": {},
    }
    for variant in variants:
        per_case = []
        for case in cases:
            result = as_expected(run_loan_case(target, case, variant, deadline_seconds=30 * 60))  # type: ignore[arg-type]
            figures = RunFigures(
                state_transitions=result.state_transitions, durable_operations=result.durable_operations
            )
            per_case.append((case.case, figures, cost_per_million(figures, prices)))
            on_run()
        latencies = [result.latency_ms for result in measure_latency(target, cases, variant, runs, concurrency, on_run)]  # type: ignore[arg-type]
        report["variants"][variant] = {
            "title": LOAN_VARIANTS[variant].title,
            "p50_ms": round(percentile(latencies, 0.50), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "runs": len(latencies),
            "state_transitions": sum(f.state_transitions for _, f, _ in per_case) / len(per_case),
            "durable_operations": sum(f.durable_operations for _, f, _ in per_case) / len(per_case),
            "usd_per_million_transitions_and_operations": round(
                sum(cost.step_functions + cost.durable_operations for _, _, cost in per_case) / len(per_case), 4
            ),
            "latencies_ms": [round(value, 1) for value in latencies],
        }
    return report
