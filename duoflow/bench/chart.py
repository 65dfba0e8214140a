"""The benchmark at a glance: latency and dollars per million runs, side by side, per variant."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # noqa: E402

HEADROOM = 1.18  # the tallest bar's share of the axis, so its label stays inside
COST_PARTS = [
    ("step_functions", "Step Functions", "#7b61ff"),
    ("lambda_requests", "Lambda requests", "#ff9900"),
    ("lambda_compute", "Lambda compute", "#ffc46b"),
    ("durable_operations", "durable operations", "#1e8e3e"),
    ("durable_storage", "durable storage", "#8fd19e"),
]


def draw(report: dict[str, Any], stem: Path) -> list[Path]:
    """Writes ``<stem>.png`` and ``<stem>.svg``; returns their paths."""
    variants = list(report["variants"])
    data = report["variants"]
    # "hybrid" over "(Step Functions + durable)" on two short lines, so neighbouring labels never touch
    titles = [f"{name}\n" + textwrap.fill(f"({data[name]['title']})", 18) for name in variants]
    figure, (latency, cost) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)

    positions = range(len(variants))
    latency.bar([p - 0.2 for p in positions], [data[v]["p50_ms"] for v in variants], 0.4, label="p50", color="#4c8bf5")
    latency.bar([p + 0.2 for p in positions], [data[v]["p95_ms"] for v in variants], 0.4, label="p95", color="#a8c5fa")
    latency.set_xticks(list(positions), titles)
    latency.set_ylabel("end-to-end latency (ms)")
    latency.set_title(f"Latency on the local runtime ({report['settings']['concurrency']} at a time)")
    latency.legend()
    latency.set_ylim(0, max(data[v]["p95_ms"] for v in variants) * HEADROOM)

    bottom = [0.0] * len(variants)
    for key, label, colour in COST_PARTS:
        values = [data[v]["usd_per_million"][key] for v in variants]
        cost.bar(list(positions), values, 0.6, bottom=bottom, label=label, color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for position, total in zip(positions, bottom, strict=True):
        cost.annotate(f"${total:,.0f}", (position, total), ha="center", va="bottom")
    cost.set_ylim(0, max(bottom) * HEADROOM)  # room for the totals above the bars, below the title
    cost.set_xticks(list(positions), titles)
    cost.set_ylabel("US$ per million runs")
    cost.set_title(f"Cost per million runs (prices checked {report['prices']['checked']})")
    cost.legend(fontsize="small")

    figure.suptitle(f"duoflow benchmark: {report['scenario']}, cases {', '.join(report['settings']['cases'])}")
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for path in paths:
        figure.savefig(path, dpi=110)
    plt.close(figure)
    return paths
