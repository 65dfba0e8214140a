"""The cost model against figures worked out by hand (US East, the prices in duoflow/bench/prices.json)."""

import pytest

from duoflow.bench.pricing import PriceTable, RunFigures, billed_gb_seconds, cost_per_million

PRICES = PriceTable.load()


def test_the_price_table_holds_the_published_prices_with_their_sources():
    assert PRICES.sfn_per_transition == pytest.approx(0.025 / 1000)
    assert PRICES.lambda_per_request == pytest.approx(0.20 / 1_000_000)
    assert PRICES.lambda_per_gb_second == {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    assert PRICES.durable_per_operation == pytest.approx(8 / 1_000_000)
    assert (PRICES.durable_per_gb_written, PRICES.durable_per_gb_month_retained) == (0.25, 0.15)
    assert all(source.startswith("https://aws.amazon.com/") for source in PRICES.sources.values())
    assert PRICES.checked


@pytest.mark.parametrize(
    ("duration_ms", "memory_mb", "gb_seconds"),
    [(120.3, 256, 0.121 * 0.25), (120.0, 256, 0.120 * 0.25), (0.2, 1024, 0.001), (1000, 512, 0.5)],
)
def test_billed_duration_is_rounded_up_to_the_millisecond(duration_ms, memory_mb, gb_seconds):
    assert billed_gb_seconds(duration_ms, memory_mb) == pytest.approx(gb_seconds)


def test_a_pure_step_functions_run():
    # 13 transitions × $0.000025 = $0.000325 a run → $325 per million;
    # 9 requests × $0.0000002 → $1.80; 9 × 25 ms at 256 MB = 0.05625 GB-s × $0.0000166667 → $0.9375
    run = RunFigures(state_transitions=13, lambda_requests=9, lambda_gb_seconds=9 * 0.025 * 0.25)
    cost = cost_per_million(run, PRICES)
    assert cost.step_functions == pytest.approx(325.0)
    assert cost.lambda_requests == pytest.approx(1.80)
    assert cost.lambda_compute == pytest.approx(0.9375019, rel=1e-6)
    assert (cost.durable_operations, cost.durable_storage) == (0, 0)
    assert cost.total == pytest.approx(325 + 1.80 + 0.9375019, rel=1e-6)


def test_a_durable_run_pays_operations_and_storage():
    # 20 operations × $8/M → $160 per million; 64 KiB written: 65,536 / 1,073,741,824 GB × $0.25 → $15.2588 per
    # million; 64 KiB kept 7 days (168 h): 6.1035e-5 GB × 168/730 month × $0.15 → $2.1070 per million
    run = RunFigures(
        durable_operations=20, durable_bytes_written=65_536, durable_bytes_retained=65_536, retained_hours=168
    )
    cost = cost_per_million(run, PRICES)
    assert cost.durable_operations == pytest.approx(160.0)
    assert cost.durable_storage == pytest.approx(15.2587890625 + 2.10697, rel=1e-5)


def test_arm_compute_is_cheaper():
    run = RunFigures(lambda_gb_seconds=1.0)
    # one GB-second a run: × $0.0000133334 (Arm) or $0.0000166667 (x86) × 1,000,000 runs
    assert cost_per_million(run, PRICES, "arm64").lambda_compute == pytest.approx(13.3334)
    assert cost_per_million(run, PRICES, "x86_64").lambda_compute == pytest.approx(16.6667)
