"""What one run used, read from the orchestrators' histories and the runtime's invocation log.

How each billed quantity is counted (prices and their sources: prices.json):

* **state transitions** — the Step Functions history's ``*StateEntered`` events: each state entered is one
  billed transition of a Standard workflow (https://aws.amazon.com/step-functions/pricing/).
* **durable operations** — from the durable execution history: the execution's start, and every operation
  started in it: each step attempt (a retried step is billed again), wait, callback, child context (each
  ``context.parallel`` and each of its branches, and the context around ``wait_for_callback``) and chained
  invoke. This is our reading of https://aws.amazon.com/lambda/pricing/ ("each durable operation, such as
  starting an execution, completing a step or creating a wait"); check it against a real bill before relying
  on the split.
* **durable data written** — the bytes of every payload the history records (the input, step results,
  callback results, errors): what the checkpoints persisted.
* **Lambda requests and GB-seconds** — every invocation of the workflow's own functions: plain ones from the
  runtime's invocation log, durable ones from ``InvocationCompleted`` events (a replay is a new request). Each
  duration is rounded up to the millisecond and multiplied by the catalog's memory. Three functions are left out
  because they cost the same in every variant: the HTTP API (``duoflow-api``), the simulated external fraud
  service (``loan-fraud-service``) and the business metrics (``metrics-audit-trail``, fed by the audit trails'
  stream after the workflow has written them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duoflow.bench.pricing import RunFigures, billed_gb_seconds
from duoflow.metrics import durable_history

NOT_BILLED_TO_THE_WORKFLOW = frozenset({"duoflow-api", "loan-fraud-service", "metrics-audit-trail"})
BILLED_OPERATION_STARTS = frozenset(
    {"ExecutionStarted", "StepStarted", "WaitStarted", "CallbackStarted", "ContextStarted", "ChainedInvokeStarted"}
)
DETAIL_PAYLOAD_KEYS = ("Input", "Result", "Error")


@dataclass(frozen=True)
class DurableFigures:
    operations: int
    invocations: int
    bytes_written: int


def durable_figures(events: list[dict[str, Any]]) -> DurableFigures:
    return DurableFigures(
        operations=sum(1 for event in events if event["EventType"] in BILLED_OPERATION_STARTS),
        invocations=sum(1 for event in events if event["EventType"] == "InvocationCompleted"),
        bytes_written=sum(_payload_bytes(event) for event in events),
    )


def _payload_bytes(event: dict[str, Any]) -> int:
    total = 0
    for key, details in event.items():
        if not key.endswith("Details") or not isinstance(details, dict):
            continue
        for payload_key in DETAIL_PAYLOAD_KEYS:
            payload = details.get(payload_key)
            if isinstance(payload, dict) and "Payload" in payload:
                value = payload["Payload"]
                total += len((value if isinstance(value, str) else str(value)).encode())
    return total


def run_figures(
    *,
    state_transitions: int,
    plain_invocations: list[tuple[str, float]],
    durable_histories: dict[str, list[dict[str, Any]]],
    durable_invocation_ms: dict[str, list[float]],
    memory_mb: dict[str, int],
    retention_days: dict[str, int],
    waited_hours: float = 0.0,
) -> tuple[RunFigures, dict[str, Any]]:
    """``plain_invocations``: (function, duration ms) of the run's plain Lambda calls; ``durable_histories``:
    function → the run's durable history events; ``durable_invocation_ms``: function → the measured duration
    of each of its invocations. Returns the billed figures and the raw counts behind them."""
    billed = [(name, ms) for name, ms in plain_invocations if name not in NOT_BILLED_TO_THE_WORKFLOW]
    gb_seconds = sum(billed_gb_seconds(ms, memory_mb[name]) for name, ms in billed)
    requests, operations, written, retained, retained_hours = len(billed), 0, 0, 0, waited_hours
    per_function = {}
    for function, events in durable_histories.items():
        figures = durable_figures(events)
        per_function[function] = figures.__dict__
        requests += figures.invocations
        gb_seconds += sum(billed_gb_seconds(ms, memory_mb[function]) for ms in durable_invocation_ms.get(function, []))
        operations += figures.operations
        written += figures.bytes_written
        retained += figures.bytes_written
        retained_hours = max(retained_hours, waited_hours + 24 * retention_days[function])
    figures = RunFigures(
        state_transitions=state_transitions,
        lambda_requests=requests,
        lambda_gb_seconds=gb_seconds,
        durable_operations=operations,
        durable_bytes_written=written,
        durable_bytes_retained=retained,
        retained_hours=retained_hours if durable_histories else 0.0,
    )
    raw = {"plain_invocations": billed, "durable": per_function}
    return figures, raw


def histories_for(
    lambda_client: Any, functions: tuple[str, ...], execution_name: str
) -> dict[str, list[dict[str, Any]]]:
    return {
        function: durable_history(lambda_client, function, execution_name, include_data=True) for function in functions
    }
