"""A DynamoDB stream's delivery survives the runtime's process (duoflow/runtime/dynamodb_streams.py): the record's
invoke is journaled before it runs and forgotten only once it has run, so a delivery cut by a stop or a crash runs
again after the restart (at least once, as an event source mapping in AWS). Its own module: it starts runtimes of
its own (one per process at a time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from duoflow.runtime import FunctionSpec, LocalRuntime, TimeControl
from tests.runtime.test_dynamodb_streams import CATALOG, create_table, received
from tests.waiting import wait_until

RELEASE = threading.Event()  # a held delivery ends once this is set


def held_on_change(event: dict[str, Any], context: Any) -> None:
    """Stands for a delivery the crash cut: it records nothing."""
    RELEASE.wait(timeout=30)


HELD_CATALOG = [FunctionSpec(name="on-change", handler=f"{__name__}.held_on_change", description="never finishes")]


def cut_by_a_stop(tmp_path, *keys: str) -> None:
    """Put an item for each key into a routed table, and stop the runtime while their records' delivery is held."""
    RELEASE.clear()
    first = LocalRuntime(HELD_CATALOG, state_dir=tmp_path, time_control=TimeControl.scaled(0.001))
    first.start()
    try:
        first.deploy_functions()
        create_table(first, "audited", stream=True)
        first.dynamodb_streams.route("audited", "on-change")
        for key in keys:
            first.client("dynamodb").put_item(TableName="audited", Item={"id": {"S": key}})
        wait_until(lambda: first.lambdas.in_flight.running, what="the delivery waiting or running")
    finally:
        first.stop()  # the delivery is still held: the journal closes under it
    RELEASE.set()


@contextmanager
def restarted(tmp_path) -> Iterator[LocalRuntime]:
    """The runtime started again on the same state directory, its table created (as a deploy would) before it
    resumes."""
    again = LocalRuntime(CATALOG, state_dir=tmp_path, time_control=TimeControl.scaled(0.001))
    again.start()
    try:
        again.deploy_functions()
        create_table(again, "audited", stream=True)
        yield again
    finally:
        again.stop()


def test_a_delivery_still_running_when_the_runtime_stops_runs_again_after_the_restart(tmp_path, monkeypatch):
    # at least once: the record is journaled before the request answers and forgotten only once its invoke has run
    monkeypatch.setattr(LocalRuntime, "DRAIN_SECONDS", 0.05)
    cut_by_a_stop(tmp_path, "survivor")

    with restarted(tmp_path) as again:
        assert again.resume()["pending asynchronous invokes"] == 1
        records = wait_until(lambda: received("survivor"), what="the record after the restart")
        assert {record["eventName"] for record in records} == {"INSERT"}


def test_the_records_of_several_requests_cut_by_a_stop_arrive_in_one_batch_after_the_restart(tmp_path, monkeypatch):
    # each request's records are journaled as they arrive; on resume they go back to the function's stream mapping,
    # which batches them again (duoflow/runtime/stream_batches.py), rather than invoking once per request
    monkeypatch.setattr(LocalRuntime, "DRAIN_SECONDS", 0.05)
    keys = ("cut-1", "cut-2", "cut-3")
    cut_by_a_stop(tmp_path, *keys)

    with restarted(tmp_path) as again:
        assert again.resume()["pending asynchronous invokes"] == 3
        records = wait_until(
            lambda: all(received(key) for key in keys) and [received(key)[-1] for key in keys],
            what="the three records after the restart",
        )
        assert [record["batch"] for record in records] == [3, 3, 3]
