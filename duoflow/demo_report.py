"""The demo's runs as `duoflow demo` shows them: a line per run as it ends, a table per scenario, and a note where
the screening model's band is not the one a person expects."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:
    from duoflow.demo import RunResult
    from duoflow.training_demo import TrainingRunResult

COMMON_COLUMNS = [("outcome", "left"), ("reason", "left"), ("end to end", "right")]
COUNT_COLUMNS = [("state transitions", "right"), ("durable ops", "right")]


def progress_line(result: RunResult) -> str:
    mark = "[green]✓[/green]" if result.as_expected else "[red]✗[/red]"
    return (
        f"{mark} {result.variant:7} {result.case:20} {result.outcome:17} {result.latency_ms:8.1f} ms  {result.reason}"
    )


def loan_table(results: Iterable[RunResult]) -> Table:
    table = _table("duoflow demo: loan approval", [("applicant", "left"), ("amount", "right"), ("variant", "left")])
    for r in results:
        colour = "green" if r.outcome == "approved" else "yellow" if r.outcome == "denied" else "red"
        table.add_row(r.applicant, f"${r.amount:,.0f}", r.variant, *_common_cells(r, colour))
    return table


def training_table(results: Iterable[TrainingRunResult]) -> Table:
    columns = [("request", "left"), ("variant", "left"), ("score", "right"), ("band", "left")]
    table = _table("duoflow demo: training request approval", columns)
    for r in results:
        colour = {"approved": "green", "rejected": "yellow"}.get(r.outcome, "red")
        band = r.band or "?"
        if not r.model_agrees:
            band += f" [red](expected {r.expected_band})[/red]"
        score = "" if r.score is None else str(r.score)
        table.add_row(f"{r.applicant}: {r.training}", r.variant, score, band, *_common_cells(r, colour))
    return table


def model_disagreements(results: Iterable[RunResult]) -> list[str]:
    """The scenario files say what a person expects; the model's band is shown as it is, never bent."""
    disagreements = {
        (r.case, r.band, r.expected_band, r.score) for r in results if getattr(r, "model_agrees", True) is False
    }
    return [
        f"[yellow]note:[/yellow] the screening model scored {case} {score} ({band}); a person expects {expected} "
        "(scenarios/training/README.md). The workflow followed the model's score."
        for case, band, expected, score in sorted(disagreements, key=str)
    ]


def _table(title: str, first_columns: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column, justify in [*first_columns, *COMMON_COLUMNS, *COUNT_COLUMNS]:
        table.add_column(column, justify=justify)
    return table


def _common_cells(r: RunResult, colour: str) -> list[str]:
    return [
        f"[{colour}]{r.outcome}[/{colour}]",
        r.reason,
        f"{r.latency_ms:,.0f} ms",
        str(r.state_transitions),
        str(r.durable_operations),
    ]
