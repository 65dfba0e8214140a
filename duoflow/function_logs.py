"""One application's or training request's log lines, across every function, in time order (``duoflow logs ID``):
read from the file ``duoflow serve`` appends the functions' lines to (duoflow/serving.py), whether it runs or not.

In AWS the same question is a CloudWatch Logs Insights query over the functions' log groups (README, "Logs").
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def function_logs_file(state_dir: Path) -> Path:
    """Where ``duoflow serve`` appends the functions' log lines: in its state directory."""
    return state_dir / "function-logs.jsonl"


@dataclass(frozen=True)
class LogLines:
    lines: list[dict]
    unreadable: int  # lines that were not JSON (a line cut short when the server was killed mid-write)


def lines_of(log_file: Path, correlation_id: str, min_level: str = "DEBUG") -> LogLines:
    """Every line whose correlation id is ``correlation_id``, at ``min_level`` or above, oldest first (a metric's
    line, which has no level, counts as INFO)."""
    floor = LEVELS.index(min_level)
    every = read_lines(log_file)
    found = [line for line in every.lines if line.get("correlation_id") == correlation_id and _rank(line) >= floor]
    found.sort(key=_timestamp)
    return LogLines(found, every.unreadable)


def read_lines(log_file: Path) -> LogLines:
    """Every line of ``log_file``, as written."""
    found, unreadable = [], 0
    for line in _read(log_file):
        if line is None:
            unreadable += 1
        else:
            found.append(line)
    return LogLines(found, unreadable)


def _read(log_file: Path) -> Iterator[dict | None]:
    with open(log_file, encoding="utf-8", errors="replace") as lines:
        for text in lines:
            if not text.strip():
                continue
            try:
                parsed = json.loads(text)
            except ValueError:
                yield None
                continue
            yield parsed if isinstance(parsed, dict) else None


def _rank(line: dict) -> int:
    level = str(line.get("level", "INFO")).upper()
    return LEVELS.index(level) if level in LEVELS else LEVELS.index("INFO")


# Keys every line has or that the row already shows; the rest is printed after the message.
_SHOWN = {"timestamp", "level", "function", "flow", "message", "service", "correlation_id", "location", "exception"}


def _timestamp(line: dict) -> str:
    """A log line's time; a metric's line (CloudWatch's embedded metric format) has its own, in epoch milliseconds."""
    if "timestamp" in line:
        return str(line["timestamp"])
    milliseconds = line.get("_aws", {}).get("Timestamp") if isinstance(line.get("_aws"), dict) else None
    if isinstance(milliseconds, int | float):
        moment = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.UTC)
        return moment.isoformat(timespec="milliseconds")  # as the logger writes its own (use_rfc3339)
    return ""


def _metric_text(line: dict) -> str:
    from duoflow.business_metrics import embedded_metrics

    return "; ".join(
        f"metric {name} {' + '.join(f'{v:g}' for v in values)}"
        + (f" ({', '.join(f'{k}={v}' for k, v in dimensions)})" if dimensions else "")
        for _, name, dimensions, _, values in embedded_metrics(line)
    )


def readable(lines: Iterable[dict]) -> Iterator[tuple[str, str, str, str]]:
    """(time, level, who, text) per line: who is the function or durable flow; text the message and its keys (for a
    metric's line: the metric, its value and dimensions, at INFO)."""
    for line in lines:
        if "_aws" in line:
            yield _timestamp(line), "INFO", str(line.get("function", "")), _metric_text(line)
            continue
        extra = " ".join(f"{key}={line[key]}" for key in sorted(line) if key not in _SHOWN)
        text = str(line.get("message", "")) + (f"  {extra}" if extra else "")
        if "exception" in line:
            text += "\n" + str(line["exception"])
        who = str(line.get("function") or line.get("flow") or "")
        yield str(line.get("timestamp", "")), str(line.get("level", "")), who, text
