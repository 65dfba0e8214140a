"""duoflow: loan and training approvals on Step Functions, durable functions, and both — run locally.

duoflow demo                       every loan and training case on the hybrid variant, with results tables
duoflow demo --scenario training --variant all   the training requests on all three variants
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
    training = "training"


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
    scenario: Scenario = typer.Option(
        None, help="Which business process to run: loan or training; default: both, the loan first."
    ),
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
    from duoflow.training_demo import run_training_cases

    scenarios = [scenario] if scenario else [Scenario.loan, Scenario.training]
    if case and len(scenarios) > 1:
        err.print("[red]error:[/red] --case needs --scenario (loan or training)")
        raise typer.Exit(2)
    chosen = {name: _cases_or_exit(case, name) for name in scenarios}
    runners = {Scenario.loan: run_cases, Scenario.training: run_training_cases}
    variants = variants_for(variant)
    results = []
    with err.status("starting the local runtime…") as status:
        with local_stack(time_control(time_scale, timeout_scale)) as runtime:
            for name, cases in chosen.items():
                total, done = len(cases) * len(variants), []

                def show(result, name=name, total=total, done=done) -> None:
                    results.append(result)
                    done.append(result)
                    mark = "[green]✓[/green]" if result.as_expected else "[red]✗[/red]"
                    err.print(
                        f"{mark} {result.variant:7} {result.case:20} {result.outcome:17} {result.latency_ms:8.1f} ms  {result.reason}"
                    )
                    status.update(f"running {name.value} cases… {len(done)}/{total}")

                status.update(f"running {name.value} cases… 0/{total}")
                runners[name](runtime, cases, variants, on_done=show)

    if as_json:
        sys.stdout.write(json.dumps([result.to_json() for result in results], indent=2) + "\n")
    else:
        for name in chosen:
            runs = [result for result in results if result.scenario == name.value]
            out.print(_table(runs) if name is Scenario.loan else _training_table(runs))
        _report_model_disagreements(results)
    unexpected = [result for result in results if not result.as_expected]
    if unexpected:
        err.print(
            f"[red]{len(unexpected)} run(s) did not end as expected:[/red] "
            + ", ".join(f"{r.variant}/{r.case}" for r in unexpected)
        )
        raise typer.Exit(1)


@app.command()
def bench(
    scenario: Scenario = typer.Option(
        None,
        help="Which business process to measure: loan or training; default: both (training's report goes to bench-training.json).",
    ),
    variant: Variant = typer.Option(Variant.all, help="Which implementations to compare (default: all three)."),
    case: list[str] = typer.Option(None, "--case", help="Measure only this case (repeatable); default: every case."),
    runs: int = typer.Option(5, min=1, max=1000, help="Runs of each case in the latency pass."),
    concurrency: int = typer.Option(4, min=1, max=64, help="Runs at a time in the latency pass."),
    output: Path = typer.Option(
        Path("bench.json"), "--out", help="Where to write every raw figure (JSON); the chart goes beside it."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the figures as JSON on stdout instead of a table: keyed by variant (sfn, durable, hybrid) for one --scenario, by scenario then variant for both.",
    ),
    time_scale: float = typer.Option(0.001, min=0.000001, max=1.0, help=TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.01, min=0.000001, max=1.0, help=TIMEOUT_SCALE_HELP),
    overhead: bool = typer.Option(
        True,
        "--overhead/--no-overhead",
        help="Also time the hybrid happy path (Charlie) against the two stock engines alone (the durable testing runner, moto's Step Functions) and report the ratio.",
    ),
    load: int = typer.Option(
        0,
        min=0,
        max=100_000,
        help="Also submit this many applications at once (every case on every variant in turn, on a fresh stack whose timeouts run in real time) and report total time, throughput and p95; 0 skips it.",
    ),
    synth: bool = typer.Option(
        True,
        "--synth/--no-synth",
        help="Also time `cdk synth` of the CDK app (a fresh python infra/app.py, bundling skipped).",
    ),
    target: str = typer.Option(
        "local",
        help="Where the workflows run: local (the embedded runtime) or aws (a stack deployed with cdk deploy --outputs-file; see README.md, 'Deploy to AWS').",
    ),
    outputs_file: Path = typer.Option(
        Path("cdk-outputs.json"), "--outputs", help="--target aws: the file `cdk deploy --outputs-file` wrote."
    ),
    stack_name: str = typer.Option(None, "--stack", help="--target aws: the stack to use when the file holds several."),
) -> None:
    """Compare the variants side by side: latency, state transitions, durable operations, Lambda use, dollars per million runs.

    Writes bench.json (every raw figure, the machine, library versions, the price table's sources and date) and a chart (bench.png, bench.svg) beside it. Prices: duoflow/bench/prices.json.
    """
    from functools import partial

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from duoflow.bench.bare_engines import measure as measure_engine
    from duoflow.bench.bare_engines import overhead_figures
    from duoflow.bench.chart import draw
    from duoflow.bench.load import LOAD_TIMEOUT_SCALE, load_test
    from duoflow.bench.pricing import PriceTable
    from duoflow.bench.runner import bench as run_bench
    from duoflow.bench.runner import hybrid_happy_path
    from duoflow.bench.synth import measure_synth
    from duoflow.scenarios import loan_cases
    from duoflow.stack import local_stack

    scenarios = [scenario] if scenario else [Scenario.loan, Scenario.training]
    if case and len(scenarios) > 1:
        err.print("[red]error:[/red] --case needs --scenario (loan or training)")
        raise typer.Exit(2)
    variants = variants_for(variant)
    if target not in ("local", "aws"):
        err.print(f"[red]error:[/red] --target must be local or aws, not {target!r}")
        raise typer.Exit(2)
    if target == "aws":
        if scenario is Scenario.training:
            err.print("[red]error:[/red] --target aws measures the loan scenario; the training scenario runs locally")
            raise typer.Exit(2)
        _bench_deployed(outputs_file, stack_name, _cases_or_exit(case), variants, runs, concurrency, output, as_json)
        return
    chosen = {name: _cases_or_exit(case, name) for name in scenarios}
    overhead = overhead and "hybrid" in variants and Scenario.loan in chosen
    output.parent.mkdir(parents=True, exist_ok=True)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )
    reports: dict[Scenario, dict] = {}
    with progress, local_stack(time_control(time_scale, timeout_scale)) as runtime:
        for name, cases in chosen.items():
            total = len(variants) * len(cases) * (runs + 1) + (
                len(variants) if any(getattr(c, "manager", None) for c in cases) else 0
            )
            task = progress.add_task(f"benchmarking {name.value}: {', '.join(variants)}", total=total)
            reports[name] = run_bench(
                runtime, cases, variants, runs, concurrency, PriceTable.load(), on_run=partial(progress.advance, task)
            )
        if overhead:
            overhead_task = progress.add_task("hybrid happy path (Charlie), one at a time", total=runs)
            hybrid_latencies = hybrid_happy_path(
                runtime, loan_cases(["charlie"])[0], runs, on_run=lambda: progress.advance(overhead_task)
            )
    if load and Scenario.loan in chosen:
        # A fresh stack whose timeouts run in real time: a burst of applications queues for the CPU, and a
        # timeout scaled down would fire while the work it guards is still waiting its turn.
        with progress, local_stack(time_control(time_scale, LOAD_TIMEOUT_SCALE)) as runtime:
            load_task = progress.add_task(f"{load} applications at once", total=load)
            reports[Scenario.loan]["load"] = load_test(
                runtime, chosen[Scenario.loan], variants, load, on_end=lambda: progress.advance(load_task)
            )
    if overhead:
        with err.status("the same happy path on the stock durable testing runner, then on moto's stock engine…"):
            reports[Scenario.loan]["runtime_overhead"] = overhead_figures(
                hybrid_latencies, measure_engine("durable", runs), measure_engine("asl", runs)
            )
    if synth:
        with err.status("synthesizing the CDK app (infra/app.py)…"):
            next(iter(reports.values()))["cdk_synth"] = measure_synth()
    written = []
    for name, report in reports.items():
        path = output if name is Scenario.loan else output.with_name(f"{output.stem}-{name.value}{output.suffix}")
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        written += [path, *draw(report, path.with_suffix(""))]
    if as_json:
        headlines = {
            name.value: {variant: _headline(figures) for variant, figures in report["variants"].items()}
            for name, report in reports.items()
        }
        sys.stdout.write(
            json.dumps(headlines if len(headlines) > 1 else next(iter(headlines.values())), indent=2) + "\n"
        )
    else:
        for report in reports.values():
            out.print(_bench_table(report))
            for line in _bench_extras(report):
                out.print(line)
    err.print(f"wrote {', '.join(str(path) for path in written)}")


def _cases_or_exit(names: list[str] | None, scenario: Scenario = Scenario.loan):
    """The named demo cases (all when none are named); an unknown name ends the command with a clear error."""
    from duoflow.scenarios import loan_cases, training_cases

    try:
        return (training_cases if scenario is Scenario.training else loan_cases)(names or None)
    except KeyError as error:
        err.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None


def _headline(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key not in ("cases", "latencies_ms")}


def _bench_deployed(outputs_file, stack_name, cases, variants, runs, concurrency, output, as_json) -> None:
    """``duoflow bench --target aws``: the same cases against a deployed stack (duoflow/bench/target.py)."""
    from duoflow.bench.pricing import PriceTable
    from duoflow.bench.target import DeployedTarget, bench_deployed
    from infra.outputs import OutputsError, read_outputs

    try:
        deployed = read_outputs(outputs_file, stack_name)
    except OutputsError as error:
        err.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    err.print(
        f"benchmarking the deployed stack {deployed.stack_name} in {deployed.region}: people and services answer in real time"
    )
    report = bench_deployed(DeployedTarget(deployed), cases, variants, runs, concurrency, PriceTable.load())
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if as_json:
        sys.stdout.write(
            json.dumps({name: _headline(figures) for name, figures in report["variants"].items()}, indent=2) + "\n"
        )
    else:
        table = Table(title=f"duoflow bench: loan on {deployed.stack_name} ({deployed.region})", title_justify="left")
        for column in ("variant", "p50", "p95", "transitions", "durable ops", "$/M transitions + ops"):
            table.add_column(column, justify="left" if column == "variant" else "right")
        for name, f in report["variants"].items():
            table.add_row(
                name,
                f"{f['p50_ms']:,.0f} ms",
                f"{f['p95_ms']:,.0f} ms",
                f"{f['state_transitions']:.1f}",
                f"{f['durable_operations']:.1f}",
                f"{f['usd_per_million_transitions_and_operations']:,.2f}",
            )
        out.print(table)
        out.print("not measured on AWS: " + ", ".join(report["not_measured"]) + " (see duoflow/bench/target.py)")
    err.print(f"wrote {output}")


def _bench_extras(report: dict) -> list[str]:
    lines = []
    if overhead := report.get("runtime_overhead"):
        lines.append(
            f"runtime overhead (hybrid happy path, one at a time): hybrid p50 {overhead['hybrid_p50_ms']:,.0f} ms / "
            f"(stock durable runner {overhead['bare_durable_p50_ms']:,.0f} ms + stock moto ASL "
            f"{overhead['bare_asl_p50_ms']:,.0f} ms) = [bold]{overhead['ratio']:.2f}[/bold] (below 1.0: the integrated runtime wins)"
        )
    if synth := report.get("cdk_synth"):
        lines.append(
            f"cdk synth (python infra/app.py, bundling skipped): {synth['seconds']:.1f} s (target under {synth['target_seconds']} s)"
        )
    if load := report.get("load"):
        lines.append(
            f"{load['applications']} applications at once: {load['finished']} finished in {load['total_seconds']:,.1f} s "
            f"({load['throughput_per_second']:.1f}/s), p50 {load['p50_ms']:,.0f} ms, p95 {load['p95_ms']:,.0f} ms; "
            f"still running at the deadline {len(load['unfinished_at_deadline'])}, wrong outcome {len(load['wrong_outcome'])}"
        )
    return lines


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


def _training_table(results) -> Table:
    table = Table(title="duoflow demo: training request approval", title_justify="left")
    for column, justify in [
        ("request", "left"),
        ("variant", "left"),
        ("score", "right"),
        ("band", "left"),
        ("outcome", "left"),
        ("reason", "left"),
        ("end to end", "right"),
        ("state transitions", "right"),
        ("durable ops", "right"),
    ]:
        table.add_column(column, justify=justify)
    for r in results:
        colour = {"approved": "green", "rejected": "yellow"}.get(r.outcome, "red")
        band = r.band or "?"
        if not r.model_agrees:
            band += f" [red](expected {r.expected_band})[/red]"
        table.add_row(
            f"{r.applicant}: {r.training}",
            r.variant,
            "" if r.score is None else str(r.score),
            band,
            f"[{colour}]{r.outcome}[/{colour}]",
            r.reason,
            f"{r.latency_ms:,.0f} ms",
            str(r.state_transitions),
            str(r.durable_operations),
        )
    return table


def _report_model_disagreements(results) -> None:
    """The scenario files say what a person expects; the model's band is shown as it is, never bent."""
    disagreements = {
        (r.case, r.band, r.expected_band, r.score) for r in results if getattr(r, "model_agrees", True) is False
    }
    for case, band, expected, score in sorted(disagreements, key=str):
        err.print(
            f"[yellow]note:[/yellow] the screening model scored {case} {score} ({band}); a person expects {expected} "
            "(scenarios/training/README.md). The workflow followed the model's score."
        )


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


SERVE_TIME_SCALE_HELP = (
    "Modelled time × this = real time for waits and simulated delays. People answer in real time in the console; "
    "0.1 lets you watch the fraud service's 5 s go by in 0.5 s."
)
SERVE_TIMEOUT_SCALE_HELP = "The same for timeouts: 0.5 gives a manager 15 minutes to answer and HR 36 hours."


@app.command()
def serve(
    port: int = typer.Option(8000, min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on. The console has no TLS: keep it local."),
    time_scale: float = typer.Option(0.1, min=0.000001, max=1.0, help=SERVE_TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.5, min=0.000001, max=1.0, help=SERVE_TIMEOUT_SCALE_HELP),
) -> None:
    """Start the local runtime, the HTTP API and the web console; print a token per role.

    Apply for a loan, approve it as a manager, upload a training request, review it as HR, and watch every execution's graph and durable operations. Approve / deny / review need the role's token: pick "Acting as" in the console and paste it, or open the sign-in link printed for the role.
    """
    from duoflow.console.server import free_port, serve_forever
    from duoflow.console.tokens import ROLE_USERS, TokenSigner
    from duoflow.stack import local_stack

    signer = TokenSigner.for_this_run()
    port = port or free_port(host)
    url = f"http://{host}:{port}"
    with err.status("starting the local runtime…"):
        stack = local_stack(time_control(time_scale, timeout_scale))
        runtime = stack.__enter__()
    try:
        out.print(f"[bold]duoflow console[/bold]  {url}")
        out.print(
            f"time ×{time_scale} (waits), ×{max(timeout_scale, time_scale)} (timeouts); tokens are valid for this run only"
        )
        for role, token in signer.role_tokens().items():
            username, name = ROLE_USERS[role]
            out.print(f"\n[bold]{role}[/bold] token ({name}):", soft_wrap=True)
            out.print(token, soft_wrap=True)
            out.print(f"sign in as {role}: {url}/#/loan?token={token}", soft_wrap=True)
        out.print("\nCtrl-C stops the server.")
        serve_forever(runtime, signer, host, port)
    finally:
        stack.__exit__(None, None, None)


@app.command()
def diagrams(
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a diagram is missing or stale."),
) -> None:
    """Draw every state machine in statemachines/ and the system's architecture into diagrams/ (.mmd and .svg).

    The SVGs come from duoflow's own deterministic layout (the one the console draws executions with); the Mermaid sources render on GitHub.
    """
    from duoflow.diagrams import DIAGRAMS_DIR, stale, write

    if check:
        found = stale()
        if found:
            err.print("[red]stale diagrams:[/red] " + ", ".join(found) + " — run `duoflow diagrams`")
            raise typer.Exit(1)
        err.print(f"diagrams in {DIAGRAMS_DIR} are up to date")
        return
    for path in write():
        out.print(str(path))


if __name__ == "__main__":
    app()
