"""Suite-wide collection order: the longest files first, so the xdist workers share them. And the runtime's
pytest fixtures for Step Functions Local mock files (sfn_mock_config), registered as a user's conftest would."""

from __future__ import annotations

import pytest

pytest_plugins = ["duoflow.runtime.pytest_plugin"]

# The files that take longest (each part of the kill-at-every-step tier, each half of the 200-application parity
# run, the bad-input tier's ~4,500 requests, the scorer's two files: its any-CPU test scores every pair in one
# single-threaded process, ~20 s); collected first (and with --no-loadscope-reorder), they spread over the xdist
# workers from the start instead of queueing behind the same one at the end (collected last, in tests/unit, the
# scorer's files were the suite's last 20 s, on one worker).
LONGEST_FIRST = (
    *(f"test_kill_at_every_step_{part}.py" for part in range(1, 5)),
    "test_parity_generated_1.py",
    "test_parity_generated_2.py",
    "test_bad_input.py",
    "test_scorer_engine.py",
    "test_local_scorer.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
