"""What duoflow serve prints while it runs (duoflow/live_log.py, the tee in duoflow/stack.py): the functions' lines
at or above a level, for chosen functions, and a line that is not JSON as it is."""

from __future__ import annotations

import io
import json

from duoflow.live_log import LivePrinter
from duoflow.stack import _Tee

LINE = {"timestamp": "2026-12-03T10:00:01.250+00:00", "message": "invoked", "correlation_id": "app-1"}


def printed(min_level: str = "INFO", functions: frozenset[str] = frozenset(), *lines: dict | str) -> list[str]:
    shown: list[str] = []
    printer = LivePrinter(shown.append, min_level, functions)
    for line in lines:
        printer.function_line(line if isinstance(line, str) else json.dumps(line))
    return shown


def test_a_line_shows_its_time_level_function_id_and_message():
    [shown] = printed("INFO", frozenset(), {**LINE, "level": "INFO", "function": "loan-intake", "cold_start": True})
    assert "10:00:01.250" in shown and "INFO" in shown and "loan-intake app-1" in shown
    assert "invoked  cold_start=True" in shown


def test_lines_below_the_level_or_of_other_functions_are_not_printed():
    lines = [
        {**LINE, "level": "DEBUG", "function": "loan-intake"},
        {**LINE, "level": "WARNING", "function": "loan-offer"},
        {**LINE, "level": "ERROR", "function": "loan-intake"},
    ]
    assert len(printed("INFO", frozenset(), *lines)) == 2
    assert len(printed("INFO", frozenset({"loan-intake"}), *lines)) == 1
    assert printed("OFF", frozenset(), *lines) == []


def test_what_a_function_wrote_that_is_not_json_is_printed_as_it_is():
    assert printed("INFO", frozenset(), "print from a handler") == ["print from a handler"]


def test_the_tee_writes_everything_and_hands_on_whole_lines_even_when_split_across_writes():
    sink, lines = io.StringIO(), []
    tee = _Tee(sink, lines.append)
    tee.write('{"a": ')
    tee.write('1}\n{"b": 2}\n{"c"')
    assert lines == ['{"a": 1}', '{"b": 2}']
    assert sink.getvalue() == '{"a": 1}\n{"b": 2}\n{"c"'
