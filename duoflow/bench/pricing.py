"""Dollars per million runs, from one run's figures and the price table (prices.json, with sources and date).

Pure: no I/O but reading the table. What each figure means and where it comes from is in metrics.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PRICES_FILE = Path(__file__).with_name("prices.json")
GB = 1024**3
HOURS_PER_MONTH = 730  # AWS's convention for monthly prices


@dataclass(frozen=True)
class PriceTable:
    sfn_per_transition: float
    lambda_per_request: float
    lambda_per_gb_second: dict[str, float]
    durable_per_operation: float
    durable_per_gb_written: float
    durable_per_gb_month_retained: float
    checked: str
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = PRICES_FILE) -> PriceTable:
        table = json.loads(path.read_text())
        prices = table["prices"]
        return cls(
            sfn_per_transition=prices["sfn_standard_per_transition"]["usd"],
            lambda_per_request=prices["lambda_per_request"]["usd"],
            lambda_per_gb_second={
                "x86_64": prices["lambda_per_gb_second_x86"]["usd"],
                "arm64": prices["lambda_per_gb_second_arm64"]["usd"],
            },
            durable_per_operation=prices["durable_per_operation"]["usd"],
            durable_per_gb_written=prices["durable_per_gb_written"]["usd"],
            durable_per_gb_month_retained=prices["durable_per_gb_month_retained"]["usd"],
            checked=table["checked"],
            sources={name: price["source"] for name, price in prices.items()},
        )


@dataclass(frozen=True)
class RunFigures:
    """What one run used. ``retained_hours``: how long its durable data is kept (the wait plus retention)."""

    state_transitions: int = 0
    lambda_requests: int = 0
    lambda_gb_seconds: float = 0.0
    durable_operations: int = 0
    durable_bytes_written: int = 0
    durable_bytes_retained: int = 0
    retained_hours: float = 0.0


@dataclass(frozen=True)
class Cost:
    """US dollars per million runs, split by what is billed."""

    step_functions: float
    lambda_requests: float
    lambda_compute: float
    durable_operations: float
    durable_storage: float

    @property
    def total(self) -> float:
        return (
            self.step_functions
            + self.lambda_requests
            + self.lambda_compute
            + self.durable_operations
            + self.durable_storage
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "step_functions": self.step_functions,
            "lambda_requests": self.lambda_requests,
            "lambda_compute": self.lambda_compute,
            "durable_operations": self.durable_operations,
            "durable_storage": self.durable_storage,
            "total": self.total,
        }


def cost_per_million(run: RunFigures, prices: PriceTable, architecture: Literal["x86_64", "arm64"] = "x86_64") -> Cost:
    million = 1_000_000
    gb_months = run.durable_bytes_retained / GB * run.retained_hours / HOURS_PER_MONTH
    return Cost(
        step_functions=run.state_transitions * prices.sfn_per_transition * million,
        lambda_requests=run.lambda_requests * prices.lambda_per_request * million,
        lambda_compute=run.lambda_gb_seconds * prices.lambda_per_gb_second[architecture] * million,
        durable_operations=run.durable_operations * prices.durable_per_operation * million,
        durable_storage=(
            run.durable_bytes_written / GB * prices.durable_per_gb_written
            + gb_months * prices.durable_per_gb_month_retained
        )
        * million,
    )


def billed_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """Lambda bills each invocation's duration rounded up to the next millisecond, times its memory."""
    return math.ceil(duration_ms) / 1000 * memory_mb / 1024
