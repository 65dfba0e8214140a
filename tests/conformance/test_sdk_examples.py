"""The conformance tier (issue 16, item 6): the durable SDK's own example tests, unchanged but for the poll interval
(sdk_examples/README.md), run on the testing SDK's local runner and, in their cloud mode, against duoflow's AWS
endpoint; the table in duoflow/runtime/README.md is this run's outcome, and every example that does not pass alike
on both is explained there (report.NOTES).

Both runs go at once, each in its own processes (examples.py): about 20 s of CPU for the stock run and 25-30 s for
duoflow's (2026-12-04; the example that maps 50 items of 100 KB took 4.5 s of it, 1.1 s since the durable store
writes what changed at each checkpoint instead of the whole execution). The wall time cannot go below the 21 s of the
example test that heartbeats a callback every five real seconds: 28 s for this file alone (2026-12-04), since the two
heartbeat tests run on two workers at once (examples.XDIST_ARGUMENTS; one after the other, it took 44 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import report

pytestmark = pytest.mark.timeout(900)  # both runs, on a loaded machine; the suite's 120 s is per test


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return report.run_both(Path(tmp_path_factory.mktemp("conformance")))


def test_every_example_test_ran_on_both_runners(results):
    assert results["stock"].keys() == results["duoflow"].keys()
    assert len(results["stock"]) >= 70  # the copy holds 75; a collection error would show as one entry


def test_every_example_passes_alike_on_both_or_is_explained(results):
    assert report.problems(report.rows(results)) == []


def test_the_readme_table_is_this_run(results):
    table = report.readme_table(report.README.read_text())
    assert table == report.render(results), "stale: run python -m tests.conformance.report"


def test_an_unexplained_difference_and_a_stale_note_are_both_reported():
    def entry(example: str, outcome: str) -> dict:
        return {"example": example, "outcome": outcome, "message": "", "seconds": 0.0}

    explained = next(iter(report.NOTES))
    results = {
        "stock": {"a.py::t": entry("New Example", "passed"), "b.py::t": entry(explained, "passed")},
        "duoflow": {"a.py::t": entry("New Example", "failed"), "b.py::t": entry(explained, "passed")},
    }

    found = report.problems(report.rows(results))

    assert any(problem.startswith("New Example:") and "no note" in problem for problem in found)
    assert any(problem.startswith(f"{explained}:") and "stale" in problem for problem in found)
