"""The local run's business metrics (``duoflow metrics``): the embedded-metric-format lines the functions wrote to
the log file of `duoflow serve` (services/metrics/audit_trail.py writes them), summed per metric and dimensions as
CloudWatch would show them: how many samples, their sum, minimum, maximum and average.

In AWS the same lines become CloudWatch metrics in the ``duoflow`` namespace (README, "Metrics").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from duoflow.function_logs import read_lines

# The dimension every Powertools metric carries (the service): the same on every line here, so not a column.
IMPLIED_DIMENSIONS = frozenset({"service"})


@dataclass
class MetricRow:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.samples)

    @property
    def total(self) -> float:
        return sum(self.samples)

    def as_dict(self) -> dict:
        return {
            "namespace": self.namespace,
            "metric": self.name,
            "dimensions": dict(self.dimensions),
            "unit": self.unit,
            "samples": self.count,
            "sum": self.total,
            "min": min(self.samples),
            "max": max(self.samples),
            "average": self.total / self.count,
        }


@dataclass(frozen=True)
class Metrics:
    rows: list[MetricRow]
    unreadable: int  # lines that were not JSON (cut short by a crash)


def metrics_in(log_file: Path) -> Metrics:
    """Every metric in ``log_file``, one row per namespace, metric and dimension values, sorted by those."""
    lines = read_lines(log_file)
    rows: dict[tuple, MetricRow] = {}
    for line in lines.lines:
        for namespace, name, dimensions, unit, values in embedded_metrics(line):
            key = (namespace, name, dimensions)
            row = rows.setdefault(key, MetricRow(namespace, name, dimensions, unit))
            row.samples.extend(values)
    return Metrics(sorted(rows.values(), key=lambda row: (row.namespace, row.name, row.dimensions)), lines.unreadable)


def embedded_metrics(line: dict) -> Iterable[tuple[str, str, tuple[tuple[str, str], ...], str, list[float]]]:
    """The metrics of one log line in CloudWatch's embedded metric format (none for any other line):
    (namespace, metric, dimension values, unit, values)."""
    directive = line.get("_aws")
    if not isinstance(directive, dict):
        return
    for group in directive.get("CloudWatchMetrics", ()):
        names = {name for dimension_set in group.get("Dimensions", ()) for name in dimension_set}
        dimensions = tuple(sorted((name, str(line.get(name, ""))) for name in names - IMPLIED_DIMENSIONS))
        for metric in group.get("Metrics", ()):
            value = line.get(metric.get("Name"))
            values = value if isinstance(value, list) else [value]
            numbers = [float(v) for v in values if isinstance(v, int | float)]
            if numbers:
                yield group.get("Namespace", ""), metric["Name"], dimensions, metric.get("Unit", "None"), numbers


def _number(value: float) -> str:
    return f"{value:g}"


def table_rows(rows: list[MetricRow]) -> list[tuple[str, str, str, str, str, str]]:
    """(metric, dimensions, samples, sum, min–max, average) per row, as printed."""
    return [
        (
            row.name,
            ", ".join(f"{name}={value}" for name, value in row.dimensions),
            str(row.count),
            _number(row.total),
            f"{_number(min(row.samples))}–{_number(max(row.samples))}",
            f"{row.total / row.count:.1f}",
        )
        for row in rows
    ]
