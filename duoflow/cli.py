"""duoflow: loan and training approvals on Step Functions, durable functions, and both — run locally.

duoflow demo                       every loan case on the hybrid variant, with a results table
duoflow demo --json                the same runs as JSON
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="duoflow: approvals on AWS Step Functions and Lambda durable functions, compared, on a local runtime.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# A results table is read in full: when stdout is a file or a pipe, don't squeeze it into 80 columns.
out = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 180)


class Scenario(StrEnum):
    loan = "loan"


class Variant(StrEnum):
    sfn = "sfn"
    durable = "durable"
    hybrid = "hybrid"
    all = "all"


def variants_for(choice: Variant) -> list[str]:
    return ["sfn", "durable", "hybrid"] if choice is Variant.all else [choice.value]


TIME_SCALE_HELP = (
    "Modelled time × this = real time for waits and simulated delays: 0.001 turns the fraud service's 5 s into 5 ms; "
    "1 runs in real time."
)
TIMEOUT_SCALE_HELP = (
    "The same for timeouts (the manager's 30 minutes, the fraud check's 5): 0.01 gives 18 s and 3 s. Slower than "
    "--time-scale because work is not scaled, and on a loaded machine a timeout must not race the work it guards."
)


def time_control(time_scale: float, timeout_scale: float):
    from duoflow.runtime import TimeControl

    return TimeControl.scaled(time_scale, timeouts=max(timeout_scale, time_scale))


@app.callback()
def main() -> None:
    """Everything runs on this machine on the embedded local runtime: no AWS account, no Docker."""


@app.command()
def demo(
    scenario: Scenario = typer.Option(Scenario.loan, help="Which business process to run."),
    variant: Variant = typer.Option(
        Variant.hybrid, help="Which implementation: hybrid (ASL macro flow + durable micro flow), or all that exist."
    ),
    case: list[str] = typer.Option(None, "--case", help="Run only this case (repeatable); default: every case."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON on stdout instead of a table."),
    time_scale: float = typer.Option(0.001, min=0.000001, max=1.0, help=TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.01, min=0.000001, max=1.0, help=TIMEOUT_SCALE_HELP),
) -> None:
    """Run the demo cases through the HTTP API, with a simulated manager and fraud service answering.

    Cases are the files in scenarios/<scenario>/. Ends with a table (or JSON) of outcome, reason, end-to-end time, state transitions and durable operations per run; exits 1 if a run's outcome is not the expected one.
    """
    from duoflow.demo import run_cases
    from duoflow.stack import local_stack

    cases = _cases_or_exit(case)
    variants = variants_for(variant)
    total = len(cases) * len(variants)
    results = []
    with err.status("starting the local runtime…") as status:
        with local_stack(time_control(time_scale, timeout_scale)) as runtime:

            def show(result) -> None:
                results.append(result)
                mark = "[green]✓[/green]" if result.as_expected else "[red]✗[/red]"
                err.print(
                    f"{mark} {result.variant:7} {result.case:12} {result.outcome:8} {result.latency_ms:8.1f} ms  {result.reason}"
                )
                status.update(f"running {scenario.value} cases… {len(results)}/{total}")

            status.update(f"running {scenario.value} cases… 0/{total}")
            run_cases(runtime, cases, variants, on_done=show)

    if as_json:
        sys.stdout.write(json.dumps([result.to_json() for result in results], indent=2) + "\n")
    else:
        out.print(_table(results))
    unexpected = [result for result in results if not result.as_expected]
    if unexpected:
        err.print(
            f"[red]{len(unexpected)} run(s) did not end as expected:[/red] "
            + ", ".join(f"{r.variant}/{r.case}" for r in unexpected)
        )
        raise typer.Exit(1)


@app.command()
def bench(
    scenario: Scenario = typer.Option(Scenario.loan, help="Which business process to measure."),
    variant: Variant = typer.Option(Variant.all, help="Which implementations to compare (default: all three)."),
    case: list[str] = typer.Option(None, "--case", help="Measure only this case (repeatable); default: every case."),
    runs: int = typer.Option(5, min=1, max=1000, help="Runs of each case in the latency pass."),
    concurrency: int = typer.Option(4, min=1, max=64, help="Runs at a time in the latency pass."),
    output: Path = typer.Option(
        Path("bench.json"), "--out", help="Where to write every raw figure (JSON); the chart goes beside it."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the per-variant figures as JSON on stdout instead of a table."
    ),
    time_scale: float = typer.Option(0.001, min=0.000001, max=1.0, help=TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.01, min=0.000001, max=1.0, help=TIMEOUT_SCALE_HELP),
) -> None:
    """Compare the variants side by side: latency, state transitions, durable operations, Lambda use, dollars per million runs.

    Writes bench.json (every raw figure, the machine, library versions, the price table's sources and date) and a chart (bench.png, bench.svg) beside it. Prices: duoflow/bench/prices.json.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from duoflow.bench.chart import draw
    from duoflow.bench.pricing import PriceTable
    from duoflow.bench.runner import bench as run_bench
    from duoflow.stack import local_stack

    cases = _cases_or_exit(case)
    variants = variants_for(variant)
    output.parent.mkdir(parents=True, exist_ok=True)
    total = len(variants) * len(cases) * (runs + 1) + (len(variants) if any(c.manager for c in cases) else 0)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    with progress, local_stack(time_control(time_scale, timeout_scale)) as runtime:
        task = progress.add_task(f"benchmarking {scenario.value}: {', '.join(variants)}", total=total)
        report = run_bench(
            runtime, cases, variants, runs, concurrency, PriceTable.load(), on_run=lambda: progress.advance(task)
        )
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    charts = draw(report, output.with_suffix(""))
    if as_json:
        sys.stdout.write(
            json.dumps({name: _headline(figures) for name, figures in report["variants"].items()}, indent=2) + "\n"
        )
    else:
        out.print(_bench_table(report))
    err.print(f"wrote {output} and {', '.join(str(path) for path in charts)}")


def _cases_or_exit(names: list[str] | None):
    """The named demo cases (all when none are named); an unknown name ends the command with a clear error."""
    from duoflow.scenarios import loan_cases

    try:
        return loan_cases(names or None)
    except KeyError as error:
        err.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None


def _headline(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key not in ("cases", "latencies_ms")}


def _bench_table(report: dict) -> Table:
    table = Table(
        title=f"duoflow bench: {report['scenario']} ({report['settings']['runs_per_case']} runs per case, {report['settings']['concurrency']} at a time)",
        title_justify="left",
    )
    columns = [
        "variant",
        "p50",
        "p95",
        "transitions",
        "durable ops",
        "durable inv.",
        "Lambda inv.",
        "GB-s",
        "stored B",
        "$/M SFN",
        "$/M Lambda",
        "$/M durable ops",
        "$/M storage",
        "$/M total",
    ]
    for column in columns:
        table.add_column(column, justify="left" if column == "variant" else "right")
    for name, f in report["variants"].items():
        usd = f["usd_per_million"]
        table.add_row(
            name,
            f"{f['p50_ms']:,.0f} ms",
            f"{f['p95_ms']:,.0f} ms",
            f"{f['state_transitions']:.1f}",
            f"{f['durable_operations']:.1f}",
            f"{f['durable_invocations']:.1f}",
            f"{f['lambda_invocations']:.1f}",
            f"{f['billed_gb_seconds']:.4f}",
            f"{f['stored_bytes']:,.0f}",
            f"{usd['step_functions']:,.2f}",
            f"{usd['lambda_requests'] + usd['lambda_compute']:,.2f}",
            f"{usd['durable_operations']:,.2f}",
            f"{usd['durable_storage']:,.2f}",
            f"[bold]{usd['total']:,.2f}[/bold]",
        )
    return table


def _table(results) -> Table:
    table = Table(title="duoflow demo: loan approval", title_justify="left")
    for column, justify in [
        ("applicant", "left"),
        ("amount", "right"),
        ("variant", "left"),
        ("outcome", "left"),
        ("reason", "left"),
        ("end to end", "right"),
        ("state transitions", "right"),
        ("durable ops", "right"),
    ]:
        table.add_column(column, justify=justify)
    for r in results:
        colour = "green" if r.outcome == "approved" else "yellow" if r.outcome == "denied" else "red"
        table.add_row(
            r.applicant,
            f"${r.amount:,.0f}",
            r.variant,
            f"[{colour}]{r.outcome}[/{colour}]",
            r.reason,
            f"{r.latency_ms:,.0f} ms",
            str(r.state_transitions),
            str(r.durable_operations),
        )
    return table


if __name__ == "__main__":
    app()
