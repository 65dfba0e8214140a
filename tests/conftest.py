"""Suite-wide collection order: the longest files first, so the two xdist workers share them."""

from __future__ import annotations

import pytest

# Each half of the 200-application parity run takes minutes; collected first (and with --no-loadscope-reorder),
# each starts at once on its own worker instead of both queueing behind the same one at the end.
LONGEST_FIRST = ("test_parity_generated_1.py", "test_parity_generated_2.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
