"""What `duoflow serve` prints while it runs: an access line per API request (the console's API Gateway stand-in
logs them to ``duoflow.access``) and the functions' log lines as they are written, at or above a level, for
chosen functions, coloured by level. Every function line also goes to the state directory's log file, whatever is
printed (``duoflow logs ID`` reads it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.markup import escape

from duoflow.function_logs import LEVELS, readable

LEVEL_STYLES = {"DEBUG": "dim", "INFO": "cyan", "WARNING": "yellow", "ERROR": "bold red", "CRITICAL": "bold red"}
OFF = "OFF"


class LivePrinter:
    def __init__(
        self, print_line: Callable[[str], None], min_level: str = "INFO", functions: frozenset[str] = frozenset()
    ):
        """``print_line``: prints one line of rich markup; ``min_level``: a level in LEVELS, or OFF to print no
        function line; ``functions``: only these functions or flows (empty: all)."""
        self._print = print_line
        self._floor = len(LEVELS) if min_level == OFF else LEVELS.index(min_level)
        self._functions = functions

    def function_line(self, text: str) -> None:
        """One JSON line a function wrote; printed if it passes the filters (a line that is not JSON is printed
        as it is, so nothing a function writes is hidden)."""
        try:
            line = json.loads(text)
        except ValueError:
            self._print(escape(text.rstrip()))
            return
        if not isinstance(line, dict):
            return
        level = str(line.get("level", "INFO")).upper()
        if (LEVELS.index(level) if level in LEVELS else 1) < self._floor:
            return
        [(when, severity, who, message)] = list(readable([line]))
        if self._functions and who not in self._functions:
            return
        style = LEVEL_STYLES.get(severity, "")
        who = f"{who} {line['correlation_id']}" if line.get("correlation_id") else who
        self._print(
            f"[dim]{escape(when[11:23])}[/dim] [{style}]{severity:<7}[/{style}] {escape(who)}  {escape(message)}"
        )

    def access_line(self, text: str) -> None:
        self._print(f"[dim]api[/dim] {escape(text)}")


class _Forward(logging.Handler):
    def __init__(self, forward: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._forward = forward

    def emit(self, record: logging.LogRecord) -> None:
        self._forward(record.getMessage())


@contextmanager
def access_lines_to(printer: LivePrinter) -> Iterator[None]:
    """While the block runs, every access line of the console's gateway goes to ``printer``."""
    access = logging.getLogger("duoflow.access")
    handler = _Forward(printer.access_line)
    previous_level, previous_propagate = access.level, access.propagate
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    try:
        yield
    finally:
        access.removeHandler(handler)
        access.setLevel(previous_level)
        access.propagate = previous_propagate
