"""duoflow: loan and training approvals on Step Functions, durable functions, and both — run locally.

duoflow demo                       every loan case on the hybrid variant, with a results table
duoflow demo --json                the same runs as JSON
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum

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
    hybrid = "hybrid"
    all = "all"


VARIANTS_BY_CHOICE = {Variant.hybrid: ["hybrid"], Variant.all: ["hybrid"]}


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
    time_scale: float = typer.Option(
        0.001,
        min=0.000001,
        max=1.0,
        help="Modelled time × this = real time. 0.001 turns the fraud service's 5 s into 5 ms and the "
        "manager's 30-minute timeout into 1.8 s; 1 runs in real time.",
    ),
) -> None:
    """Run the demo cases through the HTTP API, with a simulated manager and fraud service answering.

    Cases are the files in scenarios/<scenario>/. Ends with a table (or JSON) of outcome, reason, end-to-end time, state transitions and durable operations per run; exits 1 if a run's outcome is not the expected one.
    """
    from duoflow.demo import run_cases
    from duoflow.runtime import TimeControl
    from duoflow.scenarios import loan_cases
    from duoflow.stack import local_stack

    try:
        cases = loan_cases(case or None)
    except KeyError as error:
        err.print(f"[red]error:[/red] {error.args[0]}")
        raise typer.Exit(2) from None
    variants = VARIANTS_BY_CHOICE[variant]
    total = len(cases) * len(variants)
    results = []
    with err.status("starting the local runtime…") as status:
        with local_stack(TimeControl.scaled(time_scale)) as runtime:

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
