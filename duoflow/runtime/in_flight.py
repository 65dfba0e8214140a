"""What the runtime keeps about the Lambda handlers it runs and the events it delivers to them (the specs
themselves: catalog/specs.py)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

# The event routers (S3 events, DynamoDB streams) keep the events they delivered last, for tests to read: the last
# this many, not every one since the start (a burst of 10,000 applications kept ~7 KiB each).
RECENT_DELIVERIES = 1000


def recent_deliveries() -> deque[tuple[str, dict[str, Any]]]:
    """(function, event) of the last ``RECENT_DELIVERIES`` deliveries, oldest first."""
    return deque(maxlen=RECENT_DELIVERIES)


class InFlight:
    """How many handler invocations are running now; ``stop()`` waits (bounded) for them to finish, so a graceful
    stop lets each reach its end or its next checkpoint instead of cutting it (a cut one runs again on resume)."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def __enter__(self) -> InFlight:
        self.begin()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.end()

    def begin(self) -> None:
        """One more running: for work that begins in one call and ends in another (``with in_flight:`` otherwise)."""
        with self._changed:
            self._count += 1

    def end(self) -> None:
        """One fewer running (each ``begin`` has one)."""
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    @property
    def running(self) -> int:
        with self._changed:
            return self._count

    def wait_idle(self, deadline: float) -> bool:
        """Until none is running or ``deadline`` (``time.monotonic()``) passes; True when none is running."""
        with self._changed:
            while self._count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True
