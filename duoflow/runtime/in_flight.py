"""What the runtime keeps about the Lambda handlers it runs and the events it delivers to them (the specs
themselves: catalog/specs.py), and the signal that an execution has ended."""

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


class Endings:
    """Tells whoever watches a run that one of its executions has ended (a Step Functions execution, a durable
    execution), so a watcher looks again at once instead of at its next poll. Keyed by execution name: a run's
    executions are all named after it (the application or request id). Only a shortcut: a watcher still looks at
    its poll interval, so an end that tells nothing (a StopExecution, a deployed stack) is seen as before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[str, list[threading.Event]] = {}

    def watch(self, name: str) -> threading.Event:
        """An event set each time an execution named ``name`` ends, until ``unwatch``; clear it before looking."""
        ended = threading.Event()
        with self._lock:
            self._watchers.setdefault(name, []).append(ended)
        return ended

    def unwatch(self, name: str, ended: threading.Event) -> None:
        with self._lock:
            watchers = self._watchers.get(name, [])
            if ended in watchers:
                watchers.remove(ended)
            if not watchers:
                self._watchers.pop(name, None)

    def ended(self, name: str) -> None:
        """An execution named ``name`` has ended: its end is visible to a reader (status, output) by now."""
        with self._lock:
            watchers = list(self._watchers.get(name, ()))
        for ended in watchers:
            ended.set()
