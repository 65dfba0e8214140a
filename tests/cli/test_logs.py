"""duoflow logs ID: one application's lines from every function, oldest first, read from the file `duoflow serve`
writes them to (duoflow/function_logs.py), with or without the server running."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from duoflow import cli
from duoflow.function_logs import function_logs_file

runner = CliRunner()

LINES = [
    {
        "timestamp": "2026-12-03T10:00:02.000+00:00",
        "level": "INFO",
        "message": "invoked",
        "function": "loan-offer",
        "correlation_id": "app-1",
        "function_request_id": "r-2",
    },
    {
        "timestamp": "2026-12-03T10:00:01.000+00:00",
        "level": "INFO",
        "message": "invoked",
        "function": "loan-intake",
        "correlation_id": "app-1",
        "function_request_id": "r-1",
    },
    {
        "timestamp": "2026-12-03T10:00:01.500+00:00",
        "level": "INFO",
        "message": "invoked",
        "function": "loan-intake",
        "correlation_id": "app-2",
    },
    {
        "timestamp": "2026-12-03T10:00:03.000+00:00",
        "level": "ERROR",
        "message": "failed: ConnectionError: down",
        "function": "loan-disbursement",
        "correlation_id": "app-1",
        "exception": "Traceback ...\nConnectionError: down",
    },
]


def state_with_logs(tmp_path, lines=LINES, extra_text: str = "") -> str:
    state = tmp_path / "state"
    state.mkdir()
    text = "".join(json.dumps(line) + "\n" for line in lines) + extra_text
    function_logs_file(state).write_text(text)
    return str(state)


def test_one_applications_lines_from_every_function_oldest_first(tmp_path):
    result = runner.invoke(cli.app, ["logs", "app-1", "--state-dir", state_with_logs(tmp_path)])

    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("2026")]
    assert [row.split()[2] for row in rows] == ["loan-intake", "loan-offer", "loan-disbursement"]
    assert "app-2" not in result.stdout and "function_request_id=r-1" in rows[0]
    assert "ConnectionError: down" in result.stdout  # the error's traceback follows its line


def test_level_and_json_select_and_keep_the_lines_as_logged(tmp_path):
    state = state_with_logs(tmp_path)
    result = runner.invoke(cli.app, ["logs", "app-1", "--state-dir", state, "--level", "ERROR", "--json"])

    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [LINES[3]]


def test_a_line_cut_short_by_a_crash_is_skipped_and_said(tmp_path):
    state = state_with_logs(
        tmp_path,
        extra_text='{"timestamp": "2026-12-03T10:00:04',
    )
    result = runner.invoke(cli.app, ["logs", "app-1", "--state-dir", state])

    assert result.exit_code == 0
    assert "skipped 1 line(s) that are not JSON" in result.stderr


def test_an_unknown_id_or_no_log_file_exits_1_saying_why(tmp_path):
    unknown = runner.invoke(cli.app, ["logs", "app-9", "--state-dir", state_with_logs(tmp_path)])
    nothing = runner.invoke(cli.app, ["logs", "app-1", "--state-dir", str(tmp_path / "empty")])

    assert unknown.exit_code == 1 and "no log line names app-9" in unknown.stderr
    assert nothing.exit_code == 1 and "start `duoflow serve` there first" in nothing.stderr
