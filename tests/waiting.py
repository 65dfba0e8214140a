"""Tests wait on a condition with a deadline, never on a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

# How long a test waits for something before it fails. Generous on purpose: a deadline only matters once the test
# is failing anyway, and CI runs three workers on two cores of whatever machine it gets, where something merely
# slow must not fail a test.
DEADLINE = 60.0


def faster_than_real(modelled_seconds: float) -> float:
    """An upper bound on the real seconds of something that models ``modelled_seconds``: a tenth of them. It proves
    the runtime scaled its time (waited in real time it would take ten times longer) without racing the machine's
    load, as a bound near the scaled time would."""
    return modelled_seconds / 10


def wait_until(
    predicate: Callable[[], T], timeout: float = DEADLINE, interval: float = 0.01, what: str = "condition"
) -> T:
    """Poll ``predicate`` until it returns something truthy (and return it), or fail after ``timeout`` real
    seconds. ``interval`` is only the polling period; the deadline bounds the wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"{what} not met within {timeout} s (last value {value!r})")
        time.sleep(interval)
