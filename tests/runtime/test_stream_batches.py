"""A DynamoDB stream's event source mapping on the local runtime (duoflow/runtime/stream_batches.py): what arrives
while it waits goes in one batch, up to the batch size and without splitting a request's records, one batch at a
time; a waiting or running batch keeps the runtime busy; after ``close`` nothing runs. The poll interval is made
long and cut short with ``deliver_now`` (time is controlled), except in the one test of the interval itself."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from duoflow.runtime.in_flight import InFlight
from duoflow.runtime.stream_batches import Arrival, StreamMapping
from tests.waiting import wait_until

NEVER = 3600.0  # a poll interval no test waits out


class Function:
    """Records each batch it is invoked with; ``hold`` keeps an invoke running until ``release``."""

    def __init__(self) -> None:
        self.batches: list[tuple[list[str], list[str]]] = []  # (records' ids, journaled invoke ids)
        self.running = self.most_at_once = 0
        self.hold = threading.Event()
        self.hold.set()
        self._lock = threading.Lock()

    def __call__(self, payload: bytes, invoke_ids: list[str]) -> None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.hold.wait(30)
        with self._lock:
            self.running -= 1
            self.batches.append(([record["id"] for record in json.loads(payload)["Records"]], invoke_ids))


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def arrival(invoke_id: str, *record_ids: str) -> Arrival:
    return Arrival(invoke_id, [{"id": record_id} for record_id in record_ids])


def test_what_arrives_while_the_mapping_waits_is_one_batch_in_arrival_order(pool):
    function, in_flight = Function(), InFlight()
    mapping = StreamMapping(function, pool, in_flight, poll_seconds=NEVER)

    mapping.add(arrival("put-1", "a"))
    mapping.add(arrival("transaction", "b", "c"))
    mapping.add(Arrival(None, [{"id": "d"}]))  # no journal: nothing to forget afterwards
    assert function.batches == [] and mapping.waiting == 4 and in_flight.running == 1  # waiting counts as busy
    mapping.deliver_now()

    wait_until(lambda: in_flight.running == 0, what="the batch to run")
    assert function.batches == [(["a", "b", "c", "d"], ["put-1", "transaction"])]
    assert mapping.waiting == 0


def test_a_batch_holds_at_most_the_batch_size_without_splitting_a_request_and_batches_run_one_at_a_time(pool):
    function, in_flight = Function(), InFlight()
    mapping = StreamMapping(function, pool, in_flight, poll_seconds=NEVER, batch_size=3)

    for request, records in enumerate((["1", "2"], ["3"], ["4", "5"], ["6", "7", "8", "9"], ["10"])):
        mapping.add(arrival(f"r{request}", *records))
    mapping.deliver_now()

    wait_until(lambda: in_flight.running == 0, what="every batch to run")
    assert [records for records, _ in function.batches] == [["1", "2", "3"], ["4", "5"], ["6", "7", "8", "9"], ["10"]]
    assert function.most_at_once == 1


def test_records_that_arrive_while_a_batch_runs_go_in_the_next_one(pool):
    function, in_flight = Function(), InFlight()
    mapping = StreamMapping(function, pool, in_flight, poll_seconds=NEVER)
    mapping.deliver_now()
    function.hold.clear()

    mapping.add(arrival("first", "a"))
    wait_until(lambda: function.running == 1, what="the first batch running")
    mapping.add(arrival("second", "b"))
    mapping.add(arrival("third", "c"))
    function.hold.set()

    wait_until(lambda: in_flight.running == 0, what="both batches to run")
    assert [records for records, _ in function.batches] == [["a"], ["b", "c"]]


def test_after_close_nothing_runs_and_the_runtime_is_no_longer_kept_busy(pool):
    function, in_flight = Function(), InFlight()
    mapping = StreamMapping(function, pool, in_flight, poll_seconds=NEVER)
    mapping.add(arrival("cut", "a"))

    mapping.close()  # the rows stay journaled: the next start runs them

    wait_until(lambda: in_flight.running == 0, what="the waiting poll to end")
    mapping.add(arrival("late", "b"))
    assert function.batches == [] and in_flight.running == 0


def test_a_batch_runs_by_itself_once_the_poll_interval_has_passed(pool):
    function, in_flight = Function(), InFlight()
    mapping = StreamMapping(function, pool, in_flight, poll_seconds=0.05)

    mapping.add(arrival("alone", "a"))

    wait_until(lambda: function.batches, what="the poll")
    assert function.batches == [(["a"], ["alone"])]


def test_records_that_arrive_after_the_pool_has_shut_down_wait_for_the_restart_without_keeping_the_runtime_busy():
    function, in_flight = Function(), InFlight()
    stopped = ThreadPoolExecutor(max_workers=1)
    stopped.shutdown()
    mapping = StreamMapping(function, stopped, in_flight, poll_seconds=NEVER)

    mapping.add(arrival("late", "a"))

    assert in_flight.running == 0 and function.batches == [] and mapping.waiting == 1
