"""duoflow metrics: the business metrics of the local run as a table (or JSON), read from the functions' log file of
`duoflow serve` (duoflow/business_metrics.py), with clear exits when there is nothing to read."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from duoflow import cli
from duoflow.function_logs import function_logs_file
from services.metrics.audit_trail import MetricPoint, emf_document

runner = CliRunner()
APPROVED = MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved")))
SCORE = MetricPoint("ScreeningScore", 62, (("Scenario", "training"), ("Band", "review")), "None")


def state_with(tmp_path, *lines: dict) -> str:
    state = tmp_path / "state"
    state.mkdir()
    function_logs_file(state).write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(state)


def test_the_table_has_a_row_per_metric_and_dimensions(tmp_path):
    state = state_with(tmp_path, emf_document(APPROVED, "a"), emf_document(APPROVED, "b"), emf_document(SCORE, "c"))
    result = runner.invoke(cli.app, ["metrics", "--state-dir", state], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "Decisions" in line or "ScreeningScore" in line]
    assert len(rows) == 2
    assert "Outcome=approved, Scenario=loan" in rows[0] and "│       2 │" in rows[0]
    assert "Band=review, Scenario=training" in rows[1] and "62–62" in rows[1]


def test_json_gives_the_sums_for_tools(tmp_path):
    state = state_with(tmp_path, emf_document(SCORE, "a"), emf_document(SCORE, "b"))
    result = runner.invoke(cli.app, ["metrics", "--state-dir", state, "--json"])

    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row == {
        "namespace": "duoflow",
        "metric": "ScreeningScore",
        "dimensions": {"Band": "review", "Scenario": "training"},
        "unit": "None",
        "samples": 2,
        "sum": 124.0,
        "min": 62.0,
        "max": 62.0,
        "average": 62.0,
    }


def test_no_log_file_or_no_metric_yet_exits_1_saying_what_to_do(tmp_path):
    missing = runner.invoke(cli.app, ["metrics", "--state-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "start `duoflow serve` there first" in missing.output

    quiet = runner.invoke(cli.app, ["metrics", "--state-dir", state_with(tmp_path, {"level": "INFO", "message": "x"})])
    assert quiet.exit_code == 1
    assert "no metric" in quiet.output
