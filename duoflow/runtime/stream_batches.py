"""A DynamoDB stream's event source mapping: the records that arrive while it waits go to its function in one batch.

In AWS, Lambda polls each shard of a DynamoDB stream four times a second and invokes the function with every record
that arrived since, up to the mapping's ``BatchSize`` (100 by default), one batch at a time per shard
(``ParallelizationFactor`` 1); the next poll comes once the invoke has returned. So a workflow that writes ten audit
entries in a tenth of a second costs its stream's function one or two invokes, not ten, and a burst of applications
costs it batches of up to a hundred records.

The local runtime did invoke once per DynamoDB request that changed the table: in the loan's happy path that was 10
of its 17 Lambda invokes, about a tenth of its CPU, for a function whose own work is a hundredth of it.
``StreamMapping`` batches as the mapping does, with the poll interval in real time (like compute, the poll rate is
not modelled time). Each request's records are still journaled as they arrive, before the request answers; the
rows of a batch are forgotten once its invoke has run, so a batch cut by a stop or a crash runs again after the
restart (at least once, as in AWS).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from duoflow.runtime.in_flight import InFlight

POLL_SECONDS = 0.25  # Lambda polls a stream's shard four times a second
BATCH_SIZE = 100  # an event source mapping's default BatchSize for DynamoDB Streams


@dataclass(frozen=True)
class Arrival:
    """The records of one DynamoDB request, as journaled under ``invoke_id`` (None: no journal)."""

    invoke_id: str | None
    records: list[dict[str, Any]]


class StreamMapping:
    """One function's mapping: ``add`` the records of each request; ``run_batch(payload, invoke_ids)`` is called
    with up to ``BATCH_SIZE`` records (a request's records are never split) once ``POLL_SECONDS`` have passed since
    the first of them arrived, one batch at a time, on ``pool``. While a batch waits or runs, ``in_flight`` counts
    it: the runtime is not idle, and its stop lets the batch run (``deliver_now``) before the journal closes."""

    def __init__(
        self,
        run_batch: Callable[[bytes, list[str]], None],
        pool: Executor,
        in_flight: InFlight,
        poll_seconds: float = POLL_SECONDS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._run_batch, self._pool, self._in_flight = run_batch, pool, in_flight
        self._poll_seconds, self._batch_size = poll_seconds, batch_size
        self._lock = threading.Lock()
        self._arrived: deque[Arrival] = deque()
        self._polling = False  # a poller is waiting or running a batch
        self._now = threading.Event()  # cut the wait short: the runtime is stopping (or a test wants the batch)
        self._closed = False

    def add(self, arrival: Arrival) -> None:
        with self._lock:
            self._arrived.append(arrival)
            if self._polling or self._closed:
                return
            self._polling = True
            self._in_flight.begin()
        self._submit_poll()

    def deliver_now(self) -> None:
        """From now on, run what arrives without waiting out the poll interval (the runtime is stopping)."""
        self._now.set()

    def close(self) -> None:
        """No batch runs after this one; what has not run stays journaled for the next start."""
        with self._lock:
            self._closed = True
        self._now.set()

    @property
    def waiting(self) -> int:
        """Records that have arrived and not yet been handed to a batch."""
        with self._lock:
            return sum(len(arrival.records) for arrival in self._arrived)

    def _poll(self) -> None:
        try:
            self._now.wait(self._poll_seconds)
            while (batch := self._take()) is not None:
                records = [record for arrival in batch for record in arrival.records]
                self._run_batch(
                    json.dumps({"Records": records}).encode(),
                    [arrival.invoke_id for arrival in batch if arrival.invoke_id is not None],
                )
        finally:
            self._stop_polling()

    def _take(self) -> list[Arrival] | None:
        with self._lock:
            if self._closed or not self._arrived:
                return None
            batch, count = [], 0
            while self._arrived and (not batch or count + len(self._arrived[0].records) <= self._batch_size):
                arrival = self._arrived.popleft()
                batch.append(arrival)
                count += len(arrival.records)
            return batch

    def _stop_polling(self) -> None:
        with self._lock:
            self._polling = bool(self._arrived) and not self._closed  # arrived after the last take: poll for them
            if not self._polling:
                self._in_flight.end()
                return
        self._submit_poll()

    def _submit_poll(self) -> None:
        """Start the poll ``add`` or ``_stop_polling`` has marked (``_polling``, counted in flight)."""
        try:
            self._pool.submit(self._poll)
        except RuntimeError:  # the pool has shut down (the runtime is stopping): the rows wait for the restart
            with self._lock:
                self._polling = False
            self._in_flight.end()
