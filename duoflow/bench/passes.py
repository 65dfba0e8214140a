"""The passes `duoflow bench` makes, in order, with their progress on the terminal.

On the local stack: each scenario's figures and latency (runner.py); the hybrid happy path one run at a time,
against the two stock engines alone (bare_engines.py); a burst of applications (load.py); `cdk synth`
(synth.py). On a deployed stack (--target aws): the loan's latency and history figures (target.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from catalog.outputs import read_outputs
from duoflow.bench.bare_engines import measure as measure_engine
from duoflow.bench.bare_engines import overhead_figures
from duoflow.bench.load import LOAD_TIMEOUT_SCALE, load_test
from duoflow.bench.pricing import PriceTable
from duoflow.bench.report import Report
from duoflow.bench.runner import Case, bench, hybrid_happy_path
from duoflow.bench.synth import measure_synth
from duoflow.bench.target import DeployedTarget, bench_deployed
from duoflow.runtime import TimeControl
from duoflow.scenarios import LoanCase, loan_cases
from duoflow.stack import local_stack
from duoflow.terminal import err


def bench_locally(
    chosen: Mapping[str, list[Case]],
    variants: list[str],
    runs: int,
    concurrency: int,
    time_control: TimeControl,
    *,
    overhead: bool,
    load: int,
    synth: bool,
) -> dict[str, Report]:
    """Every pass asked for, on the local stack; a report per scenario (``chosen``: its cases by scenario). The
    overhead and load passes need the loan scenario (and the overhead the hybrid variant); ``load`` is how many
    applications the burst has (0: none); cdk synth's time goes in the first report."""
    overhead = overhead and "hybrid" in variants and "loan" in chosen
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    reports: dict[str, Report] = {}
    with progress, local_stack(time_control) as runtime:
        for name, cases in chosen.items():
            total = len(variants) * (len(cases) * (runs + 1) + 1) + (  # + 1: each variant's uncounted first run
                len(variants) if any(getattr(c, "manager", None) for c in cases) else 0
            )
            task = progress.add_task(f"benchmarking {name}: {', '.join(variants)}", total=total)
            reports[name] = bench(
                runtime, cases, variants, runs, concurrency, PriceTable.load(), on_run=partial(progress.advance, task)
            )
        if overhead:
            overhead_task = progress.add_task("hybrid happy path (Charlie), one at a time", total=runs)
            hybrid_latencies, hybrid_cpu = hybrid_happy_path(
                runtime, loan_cases(["charlie"])[0], runs, on_run=lambda: progress.advance(overhead_task)
            )
    if load and "loan" in chosen:
        # A fresh stack whose timeouts run in real time: a burst of applications queues for the CPU, and a
        # timeout scaled down would fire while the work it guards is still waiting its turn.
        real_timeouts = dataclasses.replace(time_control, timeout_scale=LOAD_TIMEOUT_SCALE)
        with progress, local_stack(real_timeouts) as runtime:
            load_task = progress.add_task(f"{load} applications at once", total=load)
            reports["loan"]["load"] = load_test(
                runtime, chosen["loan"], variants, load, on_end=lambda: progress.advance(load_task)
            )
    if overhead:
        with err.status("the same happy path on the stock durable testing runner, then on moto's stock engine…"):
            reports["loan"]["runtime_overhead"] = overhead_figures(
                hybrid_latencies, measure_engine("durable", runs), measure_engine("asl", runs), hybrid_cpu
            )
    if synth:
        with err.status("synthesizing the CDK app (infra/app.py)…"):
            next(iter(reports.values()))["cdk_synth"] = measure_synth()
    return reports


def bench_on_aws(
    outputs_file: Path, stack_name: str | None, cases: list[LoanCase], variants: list[str], runs: int, concurrency: int
) -> Report:
    """--target aws: the loan cases on the stack `cdk deploy --outputs-file` described in ``outputs_file``
    (catalog.outputs.OutputsError if it does not)."""
    deployed = read_outputs(outputs_file, stack_name)
    err.print(
        f"benchmarking the deployed stack {deployed.stack_name} in {deployed.region}: people and services answer in real time"
    )
    return bench_deployed(DeployedTarget(deployed), cases, variants, runs, concurrency, PriceTable.load())
