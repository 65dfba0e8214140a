"""A pytest plugin for the SDK's example tests (``-p tests.conformance.record_results``): what each test is about and
how it ended and how long it took, written as JSON, so the conformance tier can compare the stock runner with duoflow.

* ``DUOFLOW_CONFORMANCE_FUNCTIONS=FILE`` (with ``--collect-only``): each example's function name (the
  ``lambda_function_name`` of its ``durable_execution`` marker) and its handler's import path, for deploying them.
* ``DUOFLOW_CONFORMANCE_RESULTS=FILE``: per test (node id), the example it runs, its outcome (passed, failed,
  skipped, error), the first line of the failure and its real seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

FUNCTIONS_FILE = "DUOFLOW_CONFORMANCE_FUNCTIONS"
RESULTS_FILE = "DUOFLOW_CONFORMANCE_RESULTS"


def _example(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("durable_execution")
    return marker.kwargs.get("lambda_function_name") if marker else None


def handler_path(handler: Any) -> str:
    """``package.module.attribute`` of a handler object, as Lambda's Handler setting names it."""
    import importlib

    module = importlib.import_module(handler.__module__)
    for attribute, value in vars(module).items():
        if value is handler:
            return f"{handler.__module__}.{attribute}"
    raise LookupError(f"{handler!r} is not a module-level name of {handler.__module__}")


# The tests that take longest on either runner (each heartbeats a callback for 10-20 real seconds, or moves 5 MB),
# handed to the xdist workers first so that they do not start last.
LONGEST_FIRST = (
    "test_handle_callback_operations_with_failure_uncaught",
    "test_handle_wait_for_callback_heartbeat_scenarios_during_long_running_submitter",
    "test_handle_50_items_with_100kb_each_using_map",
    "test_parallel_with_wait",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.append(("example", _example(item)))
    items.sort(key=lambda item: item.name not in LONGEST_FIRST)


def pytest_collection_finish(session: pytest.Session) -> None:
    path = os.environ.get(FUNCTIONS_FILE)
    if not path:
        return
    functions: dict[str, str] = {}
    for item in session.items:
        marker = item.get_closest_marker("durable_execution")
        if marker is None or not marker.kwargs.get("lambda_function_name"):
            continue
        name, handler = marker.kwargs["lambda_function_name"].lower(), handler_path(marker.kwargs["handler"])
        if functions.setdefault(name, handler) != handler:
            raise pytest.UsageError(f"example {name!r} names two handlers: {functions[name]} and {handler}")
    Path(path).write_text(json.dumps(functions, indent=1, sort_keys=True))


class _Results:
    def __init__(self) -> None:
        self.tests: dict[str, dict[str, Any]] = {}

    def record(self, report: pytest.TestReport | pytest.CollectReport, example: str | None) -> None:
        entry = self.tests.setdefault(
            report.nodeid, {"example": example, "outcome": "passed", "message": "", "seconds": 0.0}
        )
        entry["seconds"] = round(entry["seconds"] + getattr(report, "duration", 0.0), 3)
        if report.failed:
            entry["outcome"] = "failed" if getattr(report, "when", "call") == "call" else "error"
            entry["message"] = _first_error_line(report.longreprtext)
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["message"] = _first_error_line(report.longreprtext)


def _first_error_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:200]
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else ""


_results = _Results()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _results.record(report, dict(report.user_properties).get("example"))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _results.record(report, None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(RESULTS_FILE)
    if path and not hasattr(session.config, "workerinput"):  # the controller writes, not each xdist worker
        Path(path).write_text(json.dumps(_results.tests, indent=1, sort_keys=True))
