"""The benchmark: every variant on the same demo cases, on the local stack.

Two passes per variant:
1. **figures** — each case once, alone, so every invocation the runtime logs belongs to it: state transitions,
   durable operations and invocations, Lambda requests and billed GB-seconds, bytes written; then dollars per
   million runs from the price table;
2. **latency** — ``runs`` runs of each case, ``concurrency`` at a time, people and services answering at once:
   end-to-end p50 and p95 from POST /apply to the end of the workflow.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from duoflow.bench import cpu_split
from duoflow.bench.bare_engines import WARM_UP_RUNS
from duoflow.bench.figures import histories_for, run_figures
from duoflow.bench.pricing import Cost, PriceTable, RunFigures, cost_per_million
from duoflow.demo import RunResult, run_loan_case
from duoflow.runtime import LocalRuntime, ResourceRef
from duoflow.scenarios import LoanCase, TrainingCase
from duoflow.training_demo import run_training_case
from duoflow.variants import LOAN_VARIANTS, TRAINING_VARIANTS, Variant

Case = LoanCase | TrainingCase


@dataclass(frozen=True)
class ScenarioRuns:
    """How the benchmark runs one case of a scenario, and the scenario's variants."""

    run_case: Callable[..., RunResult]
    variants: dict[str, Variant]


SCENARIOS = {
    "loan": ScenarioRuns(run_loan_case, LOAN_VARIANTS),
    "training": ScenarioRuns(run_training_case, TRAINING_VARIANTS),
}


def scenario_of(case: Case) -> str:
    return "training" if isinstance(case, TrainingCase) else "loan"


PEOPLE_TAKE_TIME_HOURS = 4  # "the manager answers after 4 hours"


@dataclass(frozen=True)
class CaseFigures:
    case: str
    variant: str
    figures: RunFigures
    cost: Cost
    raw: dict[str, Any]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2; p95 of 20 values is the 19th)."""
    ordered = sorted(values)
    rank = max(1, -(-int(fraction * 100) * len(ordered) // 100))
    return ordered[rank - 1]


def measure_case(
    runtime: LocalRuntime, case: Case, variant: str, prices: PriceTable, waited_hours: float = 0.0
) -> tuple[RunResult, CaseFigures]:
    """Run one case alone and read what it used."""
    scenario = SCENARIOS[scenario_of(case)]
    orchestrator = scenario.variants[variant]
    logged = len(runtime.lambdas.invocations)
    result = scenario.run_case(runtime, case, variant)
    plain = [(i.function_name, i.duration_ms) for i in runtime.lambdas.invocations[logged:]]
    lambda_client = runtime.client("lambda")
    histories = histories_for(lambda_client, orchestrator.durable_functions, result.id)
    invocation_ms = {
        function: [
            invocation.duration_ms
            for execution in lambda_client.list_durable_executions_by_function(
                FunctionName=runtime.resolve(ResourceRef("function", function)), DurableExecutionName=result.id
            )["DurableExecutions"]
            for invocation in runtime.durable.invocations_of(execution["DurableExecutionArn"])
        ]
        for function in orchestrator.durable_functions
    }
    specs = {spec.name: spec for spec in runtime.catalog}
    figures, raw = run_figures(
        state_transitions=result.state_transitions,
        plain_invocations=plain,
        durable_histories=histories,
        durable_invocation_ms=invocation_ms,
        memory_mb={name: spec.memory_mb for name, spec in specs.items()},
        retention_days={name: spec.durable_retention_days for name, spec in specs.items()},
        waited_hours=waited_hours,
    )
    return result, CaseFigures(case.case, variant, figures, cost_per_million(figures, prices), raw)


def measure_latency(
    runtime: LocalRuntime, cases: list[Case], variant: str, runs: int, concurrency: int, on_run: Callable[[], None]
) -> list[RunResult]:
    jobs = [case for case in cases for _ in range(runs)]

    def one(case: Case) -> RunResult:
        result = SCENARIOS[scenario_of(case)].run_case(runtime, case, variant)
        on_run()
        return result

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, jobs))


def as_expected(result: RunResult) -> RunResult:
    """The run, when it ended as its case expects; otherwise the benchmark stops, saying how it ended."""
    if not result.as_expected:
        raise RuntimeError(f"{result.variant}/{result.case} ended {result.outcome}, expected {result.expected_outcome}")
    return result


def bench(
    runtime: LocalRuntime,
    cases: list[Case],
    variants: list[str],
    runs: int,
    concurrency: int,
    prices: PriceTable,
    on_run: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "scenario": scenario_of(cases[0]),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {
            name: version(name)
            for name in ("moto", "aws-durable-execution-sdk-python", "aws-durable-execution-sdk-python-testing")
        },
        "settings": {
            "runs_per_case": runs,
            "concurrency": concurrency,
            "cases": [case.case for case in cases],
            "time_scale": runtime.time_control.scale,
            "timeout_scale": runtime.time_control.timeouts,
        },
        "prices": {"checked": prices.checked, "sources": prices.sources},
        "variants": {},
    }
    # One run per variant that counts for nothing: what the process does once (the screening model loads on the
    # first request it scores) would otherwise be billed to whichever variant comes first.
    for variant in variants:
        as_expected(SCENARIOS[scenario_of(cases[0])].run_case(runtime, cases[0], variant))
        on_run()
    for variant in variants:
        per_case = []
        for case in cases:
            result, measured = measure_case(runtime, case, variant, prices)
            as_expected(result)
            per_case.append(measured)
            on_run()
        latencies = [
            result.latency_ms for result in measure_latency(runtime, cases, variant, runs, concurrency, on_run)
        ]
        report["variants"][variant] = _summary(SCENARIOS[report["scenario"]].variants[variant], per_case, latencies)
    report["people_take_time"] = _people_take_time(runtime, cases, variants, prices, on_run)
    return report


def _summary(variant: Variant, per_case: list[CaseFigures], latencies: list[float]) -> dict[str, Any]:
    def mean(attribute: str) -> float:
        return statistics.fmean(getattr(case.figures, attribute) for case in per_case)

    costs = {key: statistics.fmean(case.cost.as_dict()[key] for case in per_case) for key in per_case[0].cost.as_dict()}
    return {
        "title": variant.title,
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "runs": len(latencies),
        "state_transitions": mean("state_transitions"),
        "durable_operations": mean("durable_operations"),
        "durable_invocations": statistics.fmean(
            sum(function["invocations"] for function in case.raw["durable"].values()) for case in per_case
        ),
        "lambda_invocations": mean("lambda_requests"),
        "billed_gb_seconds": mean("lambda_gb_seconds"),
        "stored_bytes": mean("durable_bytes_written"),
        "usd_per_million": {key: round(value, 4) for key, value in costs.items()},
        "latencies_ms": [round(value, 1) for value in latencies],
        "cases": {
            case.case: {"figures": case.figures.__dict__, "usd_per_million": case.cost.as_dict(), "raw": case.raw}
            for case in per_case
        },
    }


def _people_take_time(
    runtime: LocalRuntime,
    cases: list[Case],
    variants: list[str],
    prices: PriceTable,
    on_run: Callable[[], None],
) -> dict[str, Any]:
    """The manager answers after 4 hours: nobody pays compute while waiting; a durable execution that is
    waiting keeps its checkpoint data (and pays GB-months for it) for those hours too."""
    needing_manager = [case for case in cases if isinstance(case, LoanCase) and case.manager]
    if not needing_manager:
        return {}
    case = needing_manager[0]
    out: dict[str, Any] = {"case": case.case, "wait_hours": PEOPLE_TAKE_TIME_HOURS, "variants": {}}
    for variant in variants:
        _, at_once = measure_case(runtime, case, variant, prices)
        on_run()
        waiting_durable = "loan-workflow" in LOAN_VARIANTS[variant].durable_functions  # only it waits for the manager
        waited = cost_per_million(
            RunFigures(
                **{
                    **at_once.figures.__dict__,
                    "retained_hours": at_once.figures.retained_hours
                    + (PEOPLE_TAKE_TIME_HOURS if waiting_durable else 0),
                }
            ),
            prices,
        )
        out["variants"][variant] = {
            "usd_per_million_answered_at_once": round(at_once.cost.total, 4),
            "usd_per_million_answered_after_4h": round(waited.total, 4),
            "extra_usd_per_million_for_waiting": round(waited.total - at_once.cost.total, 6),
        }
    return out


def hybrid_happy_path(
    runtime: LocalRuntime, case: LoanCase, runs: int, on_run: Callable[[], None]
) -> tuple[list[float], dict[str, Any]]:
    """The hybrid loan's happy path, one run at a time, the fraud service answering at once: the integrated
    runtime's side of the runtime-overhead ratio (duoflow/bench/bare_engines.py has the other side). Returns the
    latencies and where a run's CPU went (duoflow/bench/cpu_split.py)."""
    with runtime.environment_of("loan-fraud-service").overridden(FRAUD_DELAY_SECONDS="0"):
        for _ in range(WARM_UP_RUNS):
            run_loan_case(runtime, case, "hybrid", measure=False)
        latencies = []
        with cpu_split.measuring() as split:
            for _ in range(runs):
                latencies.append(as_expected(run_loan_case(runtime, case, "hybrid", measure=False)).latency_ms)
                on_run()
        return latencies, split.per_run(runs)
