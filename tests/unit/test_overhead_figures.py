"""The runtime-overhead ratio: the integrated runtime's p50 over the sum of the two stock engines' p50s."""

from __future__ import annotations

import pytest

from duoflow.bench.bare_engines import measure, overhead_figures


def test_the_ratio_is_the_hybrid_median_over_the_sum_of_the_stock_medians_with_every_run_kept():
    figures = overhead_figures([70.0, 60.04, 90.0], durable=[100.0, 140.0, 120.0, 110.0], asl=[200.0, 180.0, 160.0])

    # medians: hybrid 70.0; durable (110 + 120) / 2 = 115.0; asl 180.0 -> 70 / 295 = 0.237...
    assert figures["hybrid_p50_ms"] == 70.0
    assert figures["bare_durable_p50_ms"] == 115.0
    assert figures["bare_asl_p50_ms"] == 180.0
    assert figures["ratio"] == 0.24
    assert figures["runs"] == 3
    assert figures["latencies_ms"] == {
        "hybrid": [70.0, 60.0, 90.0],
        "bare_durable": [100.0, 140.0, 120.0, 110.0],
        "bare_asl": [200.0, 180.0, 160.0],
    }


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["asl", "durable"])
def test_each_stock_engine_runs_charlie_in_a_fresh_interpreter_and_is_timed(engine):
    """The yardsticks the ratio divides by run (the bare ASL engine's runs are timed by reading the status from
    moto's backend in-process: a DescribeExecution every millisecond took half the interpreter from the run)."""
    [latency] = measure(engine, 1)
    assert 0 < latency < 60_000
