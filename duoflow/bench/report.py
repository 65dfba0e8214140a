"""The benchmark's reports as `duoflow bench` keeps and shows them: bench.json (and bench-training.json) with the
chart beside it, a table per report with a line per extra pass, and the headline figures for --json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

Report = dict[str, Any]


def report_path(output: Path, scenario: str) -> Path:
    """Where a scenario's report is kept: the loan's at ``output`` (docs/bench.json), another's beside it
    (docs/bench-training.json); its charts have the same name with .png and .svg."""
    return output if scenario == "loan" else output.with_name(f"{output.stem}-{scenario}{output.suffix}")


def write(reports: Mapping[str, Report], output: Path, charts: bool = True) -> list[Path]:
    """Each scenario's report as JSON at its ``report_path``, each with its chart (.png, .svg) unless ``charts`` is
    false; returns the paths written."""
    from duoflow.bench.chart import draw  # matplotlib: only when charts are drawn (the console reads report_path)

    output.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for name, report in reports.items():
        path = report_path(output, name)
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        written.append(path)
        if charts:
            written += draw(report, path.with_suffix(""))
    return written


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key not in ("cases", "latencies_ms")}


def headlines(reports: Mapping[str, Report]) -> dict[str, Any]:
    """--json: each variant's headline figures, keyed by variant for one scenario, by scenario then variant for
    several."""
    by_scenario = {
        str(name): {variant: headline(figures) for variant, figures in report["variants"].items()}
        for name, report in reports.items()
    }
    return by_scenario if len(by_scenario) > 1 else next(iter(by_scenario.values()))


def shown(report: Report) -> list[Table | str]:
    """What the terminal shows of a report: its table, then a line per extra pass (or what a deployed stack could
    not measure)."""
    return [_deployed_table(report) if "target" in report else _local_table(report), *_extra_lines(report)]


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column == "variant" else "right")
    return table


def _local_table(report: Report) -> Table:
    settings = report["settings"]
    table = _table(
        f"duoflow bench: {report['scenario']} ({settings['runs_per_case']} runs per case, {settings['concurrency']} at a time)",
        [
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
        ],
    )
    for name, f in report["variants"].items():
        usd = f["usd_per_million"]
        table.add_row(
            name,
            *_latency_and_counts(f),
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


def _deployed_table(report: Report) -> Table:
    """--target aws: what a deployed stack's histories tell (duoflow/bench/target.py)."""
    target = report["target"]
    table = _table(
        f"duoflow bench: {report['scenario']} on {target['stack']} ({target['region']})",
        ["variant", "p50", "p95", "transitions", "durable ops", "$/M transitions + ops"],
    )
    for name, f in report["variants"].items():
        table.add_row(name, *_latency_and_counts(f), f"{f['usd_per_million_transitions_and_operations']:,.2f}")
    return table


def _latency_and_counts(figures: dict[str, Any]) -> list[str]:
    """The cells every table starts with: p50, p95, state transitions, durable operations."""
    return [
        f"{figures['p50_ms']:,.0f} ms",
        f"{figures['p95_ms']:,.0f} ms",
        f"{figures['state_transitions']:.1f}",
        f"{figures['durable_operations']:.1f}",
    ]


def _extra_lines(report: Report) -> list[str]:
    lines = []
    if overhead := report.get("runtime_overhead"):
        lines.append(
            f"runtime overhead (hybrid happy path, one at a time): hybrid p50 {overhead['hybrid_p50_ms']:,.0f} ms / "
            f"(stock durable runner {overhead['bare_durable_p50_ms']:,.0f} ms + stock moto ASL "
            f"{overhead['bare_asl_p50_ms']:,.0f} ms) = [bold]{overhead['ratio']:.2f}[/bold] (below 1.0: the integrated runtime wins)"
        )
        if cpu := overhead.get("hybrid_cpu"):  # a report written before the split was measured has none
            lines.append(
                f"a hybrid run's CPU: {cpu['cpu_ms']:,.0f} ms = its {cpu['aws_calls']:.0f} AWS calls "
                f"{cpu['aws_calls_cpu_ms']:,.0f} ms ({cpu['aws_calls_cpu_ms'] / cpu['cpu_ms']:.0%}: botocore, moto and "
                f"the runtime under them) + the Lambda handlers {cpu['handlers_cpu_ms']:,.0f} ms + the rest "
                f"{cpu['rest_cpu_ms']:,.0f} ms (the interpreters, the durable SDK, the journal)"
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
            + (  # a report written before the peaks were measured has none
                f"; peak {load['peak_threads']:,} threads, {load['peak_memory_mib']:,} MiB resident"
                if "peak_threads" in load
                else ""
            )
        )
    if not_measured := report.get("not_measured"):
        lines.append("not measured on AWS: " + ", ".join(not_measured) + " (see duoflow/bench/target.py)")
    return lines
