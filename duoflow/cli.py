"""duoflow: loan and training approvals on Step Functions, durable functions, and both — run locally.

duoflow demo                       every loan and training case on the hybrid variant, with results tables
duoflow demo --scenario training --variant all   the training requests on all three variants
duoflow demo --json                the same runs as JSON
duoflow serve                      the runtime + API + console; state kept in .duoflow/state/ (resumed on start)
duoflow serve --reload             the same, restarted when the code changes (executions carry on)
duoflow state clear                forget the kept state (asks first; --yes for scripts)

SIGTERM stops every command as Ctrl-C does: the runtime stops, and a throwaway state directory is removed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from duoflow.variants import LOAN_VARIANTS

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


# --variant: one of the variants (services/common/variants.py), or all three in the tables' order
Variant = StrEnum("Variant", [*LOAN_VARIANTS, "all"])


def variants_for(choice: Variant) -> list[str]:
    return list(LOAN_VARIANTS) if choice is Variant.all else [choice.value]


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
def main(ctx: typer.Context) -> None:
    """Everything runs on this machine on the embedded local runtime: no AWS account, no Docker."""
    if _main_thread():
        # SIGTERM unwinds like Ctrl-C, so the runtime stops and removes its throwaway state directory.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


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
    from catalog.outputs import OutputsError, read_outputs
    from duoflow.bench.pricing import PriceTable
    from duoflow.bench.target import DeployedTarget, bench_deployed

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

# --- the state directory -----------------------------------------------------------------------------------------

DEFAULT_STATE_DIR = Path(".duoflow/state")
STATE_DIR_HELP = (
    "Where the server keeps its state: executions with their history, pending approvals and reviews, timers, "
    "DynamoDB items, S3 objects, the console's token secret. Relative to the current directory; created 0700."
)
# `duoflow serve` holds an exclusive flock on this file while it runs: a second server on the same state, or
# `duoflow state clear`, sees it and refuses. The kernel releases it when the process ends, even by SIGKILL.
LOCK_FILE = "serve.lock"


class StateDirInUse(Exception):
    """Another process holds the state directory's lock; ``holder`` is the pid it wrote there ('' if none)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def _absolute(state_dir: Path) -> Path:
    return Path(os.path.abspath(state_dir.expanduser()))


def _refuse_foreign_dir(path: Path) -> None:
    """--fresh and `state clear` delete everything in the directory and serve tightens it to 0700: refuse a
    directory that holds something and was never a server's state directory (a mistyped --state-dir ~)."""
    if path.exists() and not path.is_dir():
        err.print(f"[red]error:[/red] {escape(str(path))} is not a directory")
        raise typer.Exit(1)
    if path.is_dir() and not (path / LOCK_FILE).exists() and any(path.iterdir()):
        err.print(
            f"[red]error:[/red] {escape(str(path))} is not empty and is not a duoflow state directory (it has no "
            f"{LOCK_FILE}): give --state-dir a new or empty directory"
        )
        raise typer.Exit(1)


def _make_private_dir(path: Path) -> None:
    """Create the directory (and its missing parents) 0700; tighten it to 0700 if it is readable by others."""
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # whatever the umask
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        path.chmod(0o700)
        err.print(f"note: {escape(str(path))} was readable by others ({mode:04o}); it is 0700 now")


def _lock_state_dir(path: Path) -> int:
    """The state directory's lock, held until the returned descriptor is closed (or the process ends)."""
    descriptor = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        os.close(descriptor)
        raise StateDirInUse(holder) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def _server_on(holder: str) -> str:
    return f"`duoflow serve` (pid {holder})" if holder else "`duoflow serve`"


def _empty_state_dir(path: Path) -> int:
    """Delete everything in the state directory but its lock (which the caller holds); returns how many entries."""
    removed = 0
    for entry in os.scandir(path):
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
        removed += 1
    return removed


def _claim_state_dir(path: Path, fresh: bool) -> int:
    """Make the state directory ready for a server: created 0700, locked (exit 1 if another server holds it),
    emptied first with ``fresh``. Returns the lock's descriptor."""
    _refuse_foreign_dir(path)
    _make_private_dir(path)
    try:
        lock = _lock_state_dir(path)
    except StateDirInUse as in_use:
        err.print(
            f"[red]error:[/red] another {_server_on(in_use.holder)} is running on the state directory "
            f"{escape(str(path))}: stop it first, or give this one another --state-dir"
        )
        raise typer.Exit(1) from None
    if fresh and _empty_state_dir(path):
        err.print(f"--fresh: emptied {escape(str(path))}")
    return lock


state_app = typer.Typer(
    help="The state `duoflow serve` keeps between runs (executions, approvals, timers, items, objects, the console's token secret).",
    no_args_is_help=True,
)
app.add_typer(state_app, name="state")


@state_app.command("clear")
def state_clear(
    state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Don't ask first (for scripts)."),
) -> None:
    """Forget everything `duoflow serve` kept: every execution, pending approval and review, timer, item and object; tokens printed before stop working.

    Asks first unless --yes. Refused (exit 1) while a server runs on that state directory: stop it first (or start it again with --fresh).
    """
    path = _absolute(state_dir)
    if not path.exists():
        err.print(f"nothing to clear: {escape(str(path))} does not exist")
        return
    _refuse_foreign_dir(path)
    try:
        lock = _lock_state_dir(path)  # held while clearing: no server starts on a half-emptied directory
    except StateDirInUse as in_use:
        err.print(
            f"[red]error:[/red] {_server_on(in_use.holder)} is running on {escape(str(path))}: stop it before "
            "clearing its state"
        )
        raise typer.Exit(1) from None
    try:
        if not yes:
            typer.confirm(
                f"Forget every execution, approval, item and object kept in {path}? Tokens printed before stop working",
                abort=True,
            )
        removed = _empty_state_dir(path)
    finally:
        os.close(lock)
    out.print(f"cleared {escape(str(path))} ({removed} entries removed)")


@state_app.command("path")
def state_path(state_dir: Path = typer.Option(DEFAULT_STATE_DIR, "--state-dir", help=STATE_DIR_HELP)) -> None:
    """Print the state directory's absolute path."""
    sys.stdout.write(f"{_absolute(state_dir)}\n")


# --- serve ---------------------------------------------------------------------------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("domain", "durable", "services", "duoflow", "statemachines")
RELOAD_SUFFIXES = (".py", ".json")
RELOAD_POLL_SECONDS = 0.5
CHILD_STOP_SECONDS = 60.0  # a graceful stop is a few seconds; past this the old server is killed (SIGKILL)


@app.command()
def serve(
    port: int = typer.Option(8000, min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on. The console has no TLS: keep it local."),
    time_scale: float = typer.Option(0.1, min=0.000001, max=1.0, help=SERVE_TIME_SCALE_HELP),
    timeout_scale: float = typer.Option(0.5, min=0.000001, max=1.0, help=SERVE_TIMEOUT_SCALE_HELP),
    state_dir: Path = typer.Option(
        DEFAULT_STATE_DIR,
        "--state-dir",
        help=STATE_DIR_HELP + " One server per state directory: a second one is refused.",
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Empty the state directory first: start with no executions (and new tokens)."
    ),
    reload: bool = typer.Option(
        False,
        "--reload",
        help=f"Restart the server when a .py or .json file under {', '.join(CODE_FOLDERS)} changes, on the same state directory and port: executions carry on, on the new code.",
    ),
    watch: list[Path] = typer.Option(None, "--watch", hidden=True, help="--reload: watch these folders instead."),
    socket_fd: int = typer.Option(None, "--socket-fd", hidden=True, help="(--reload) the listening socket."),
    lock_fd: int = typer.Option(None, "--lock-fd", hidden=True, help="(--reload) the state directory's lock."),
) -> None:
    """Start the local runtime, the HTTP API and the web console; print a token per role.

    Apply for a loan, approve it as a manager, upload a training request, review it as HR, and watch every execution's graph and durable operations. Approve / deny / review need the role's token: pick "Acting as" in the console and paste it, or open the sign-in link printed for the role.

    State: everything lives in the state directory (.duoflow/state/ here unless --state-dir), so a restart loses nothing: executions that were running carry on, finished ones stay listed, pending approvals and reviews can still be answered, and the printed tokens (12 hours) keep working. --fresh starts from an empty state; `duoflow state clear` empties it without starting.

    Stopping: Ctrl-C or SIGTERM stops accepting requests, lets those being answered finish (5 s at most), stops the runtime and exits 0. Even a kill -9 loses nothing acknowledged: every 2xx answer to a change is on disk before it is sent.
    """
    path = _absolute(state_dir)
    if (socket_fd is None) != (lock_fd is None):
        err.print("[red]error:[/red] --socket-fd and --lock-fd go together")
        raise typer.Exit(2)
    if socket_fd is not None:
        # A server started by --reload's supervisor, which holds the state directory's lock and the socket.
        os.set_inheritable(socket_fd, False)
        os.set_inheritable(lock_fd, False)
        sock = socket.socket(fileno=socket_fd)
        lock = lock_fd
    else:
        lock = _claim_state_dir(path, fresh)
        try:
            sock = _listen(host, port)
        except OSError as error:
            os.close(lock)
            err.print(
                f"[red]error:[/red] cannot listen on {host}:{port}: {error.strerror or error}; "
                "--port another one (0: any free port)"
            )
            raise typer.Exit(1) from None
    if reload:
        if socket_fd is not None:
            err.print("[red]error:[/red] --reload supervises servers; it cannot be one")
            raise typer.Exit(2)
        folders = [_absolute(folder) for folder in watch] if watch else _code_folders()
        options = ["--host", host, "--time-scale", repr(time_scale), "--timeout-scale", repr(timeout_scale)]
        raise typer.Exit(_supervise(sock, lock, [*options, "--state-dir", str(path)], folders))
    try:
        _serve(sock, host, path, time_scale, timeout_scale)
    finally:
        os.close(lock)  # the lock is released (a supervisor's copy, if any, keeps it held)


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening (port 0: any free one) before the runtime starts: a taken port
    is reported at once, and a request made while the runtime starts waits in the backlog instead of failing."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def _serve(sock: socket.socket, host: str, state_dir: Path, time_scale: float, timeout_scale: float) -> None:
    from duoflow.console.server import serve_forever
    from duoflow.console.tokens import ROLE_USERS, TokenSigner
    from duoflow.stack import local_stack

    signer = TokenSigner.kept_in(state_dir)
    port = sock.getsockname()[1]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    # Until the server takes the signals over (and after), SIGTERM unwinds like Ctrl-C: the runtime stops.
    previous = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
    try:
        try:
            with err.status("starting the local runtime…"):
                stack = local_stack(time_control(time_scale, timeout_scale), state_dir=state_dir)
                runtime = stack.__enter__()
        except KeyboardInterrupt:
            err.print("stopped while starting")
            return
        try:
            out.print(f"[bold]duoflow console[/bold]  {url}")
            out.print(
                f"state: {escape(str(state_dir))} (kept across restarts; --fresh or `duoflow state clear` forgets it)",
                soft_wrap=True,
            )
            if (resumed := _resumed_text(getattr(runtime, "resumed", None))) is not None:
                out.print(f"resumed: {escape(resumed)}", soft_wrap=True)
            out.print(
                f"time ×{time_scale} (waits), ×{max(timeout_scale, time_scale)} (timeouts); tokens stay valid "
                f"across restarts for {signer.ttl_seconds // 3600} hours (clearing the state revokes them)",
                soft_wrap=True,
            )
            for role, token in signer.role_tokens().items():
                username, name = ROLE_USERS[role]
                out.print(f"\n[bold]{role}[/bold] token ({name}):", soft_wrap=True)
                out.print(token, soft_wrap=True)
                out.print(f"sign in as {role}: {url}/#/loan?token={token}", soft_wrap=True)
            out.print("\nCtrl-C stops the server.")
            serve_forever(runtime, signer, sock)
        except KeyboardInterrupt:
            pass  # SIGTERM or Ctrl-C before the server took the signals over
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already; a kill -9 still ends it at once
            with err.status("stopping the local runtime…"):
                stack.__exit__(None, None, None)
        out.print(f"stopped; the state is in {escape(str(state_dir))}", soft_wrap=True)
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _resumed_text(resumed: object) -> str | None:
    """What the runtime resumed from the state directory (``runtime.resumed``: counts by kind), as one line."""
    if resumed is None:
        return None
    if isinstance(resumed, Mapping):
        parts = [f"{count} {kind}" for kind, count in resumed.items() if count]
        return ", ".join(parts) if parts else "nothing (an empty state)"
    return str(resumed)


# --- serve --reload ------------------------------------------------------------------------------------------------


def _code_folders() -> list[Path]:
    return [PROJECT_ROOT / name for name in CODE_FOLDERS if (PROJECT_ROOT / name).is_dir()]


def _code_snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Every .py and .json file under the folders, with its modification time and size."""
    files = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = [
                name for name in dirs if not name.startswith(".") and name not in ("__pycache__", "node_modules")
            ]
            for name in names:
                if name.endswith(RELOAD_SUFFIXES):
                    path = os.path.join(root, name)
                    try:
                        stat = os.stat(path)
                    except FileNotFoundError:  # deleted while walking
                        continue
                    files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def _what_changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> str:
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    shown = []
    for path in changed[:3]:
        try:
            shown.append(str(Path(path).relative_to(PROJECT_ROOT)))
        except ValueError:
            shown.append(path)
    return ", ".join(shown) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")


def _supervise(sock: socket.socket, lock: int, options: list[str], folders: list[Path]) -> int:
    """``serve --reload``: run ``duoflow serve`` (the same options, without --reload) as a child process, and
    restart it when a watched file changes. The supervisor holds the state directory's lock and the listening
    socket and hands both to each child, so no other server takes the state while one restarts, the port stays
    the same, and a request made during a restart waits instead of failing. The child is stopped with SIGTERM
    (gracefully); one that does not stop within CHILD_STOP_SECONDS is killed. Ctrl-C or SIGTERM stops the child,
    then the supervisor; a second one kills the child. Files are polled (standard library only)."""
    command = [sys.executable, "-m", "duoflow.cli", "serve", *options]
    command += ["--socket-fd", str(sock.fileno()), "--lock-fd", str(lock)]
    stops: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stops.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        err.print(
            f"reload: watching {', '.join(escape(str(folder)) for folder in folders)} (.py, .json); "
            "the server restarts when a file changes",
            soft_wrap=True,
        )
        snapshot = _code_snapshot(folders)
        child = _start_child(command, (sock.fileno(), lock))
        reported_exit = False
        next_scan = time.monotonic() + RELOAD_POLL_SECONDS
        while not stops:
            if child.poll() is not None and not reported_exit:
                err.print(f"reload: the server exited ({child.returncode}); it starts again when a file changes")
                reported_exit = True
            time.sleep(0.05)
            if time.monotonic() < next_scan:
                continue
            current = _code_snapshot(folders)
            next_scan = time.monotonic() + RELOAD_POLL_SECONDS
            if current == snapshot:
                continue
            time.sleep(0.2)  # an editor's save can be several writes: take them all in one restart
            current, changed = _code_snapshot(folders), _what_changed(snapshot, current)
            snapshot = current
            err.print(f"reload: {escape(changed)} changed; restarting the server on the same state", soft_wrap=True)
            _stop_child(child, stops)
            if stops:
                break
            child = _start_child(command, (sock.fileno(), lock))
            reported_exit = False
        code = _stop_child(child, stops)
        return 0 if code is None else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        os.close(lock)


def _start_child(command: list[str], fds: tuple[int, ...]) -> subprocess.Popen:
    parent = os.getpid()

    def in_child() -> None:
        # Its own session, so a Ctrl-C in the terminal reaches the supervisor only (which stops the child once);
        # and on Linux the child gets SIGTERM if the supervisor dies, instead of running on without it.
        _terminate_with_parent()
        if os.getppid() != parent:
            os._exit(1)

    return subprocess.Popen(command, pass_fds=fds, start_new_session=True, preexec_fn=in_child)


def _terminate_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass


def _stop_child(child: subprocess.Popen, stops: list[int]) -> int | None:
    """Stop the child gracefully (SIGTERM); kill it if it takes too long or another stop signal comes. Its exit
    code; None if it had already exited."""
    if child.poll() is not None:
        return None
    signals_before = len(stops)
    child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    while True:
        try:
            return child.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if len(stops) > max(signals_before, 1) or time.monotonic() > deadline:
                err.print("reload: the server did not stop; killing it (its state is safe: it is on disk)")
                child.kill()
                return child.wait()


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM → KeyboardInterrupt, once: the command unwinds as on Ctrl-C (the runtime stops, its throwaway
    state directory is removed); a second SIGTERM while it unwinds is ignored (kill -9 still ends it)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


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
