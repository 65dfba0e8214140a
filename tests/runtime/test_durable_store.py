"""The durable store writes what changed, not the whole execution (duoflow/runtime/durable_host.py
``ReusedConnectionsStore``, duoflow/runtime/durable_parts.py), and reads back what the SDK's own store would."""

from __future__ import annotations

import dataclasses
import datetime
import re
import sqlite3
import types
import typing

import pytest
from aws_durable_execution_sdk_python.lambda_service import Operation, OperationStatus, OperationType, OperationUpdate
from aws_durable_execution_sdk_python_testing.exceptions import ResourceNotFoundException
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.executor import Executor
from aws_durable_execution_sdk_python_testing.model import ErrorObject, InvocationCompletedDetails
from aws_durable_execution_sdk_python_testing.stores.sqlite import SQLiteExecutionStore

from duoflow.runtime.durable_host import JournaledExecutor, ReusedConnectionsStore
from duoflow.runtime.durable_parts import GROWING_PARTS
from duoflow.runtime.saved_state import DURABLE_STORE_FILE
from tests.runtime.conftest import callback_id_of, durable_start_input, start_durable, unique, wait_durable_done

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)


def test_real_executions_read_back_as_the_sdks_own_store_gives_them(lam, runtime, tmp_path, monkeypatch):
    """Every save of three real executions (parallel steps, a callback answered, a minute's wait; a step retried; a
    callback still waiting) also goes to the SDK's store; a new store on the runtime's file, as after a restart,
    reads each as the SDK's store reads its own copy."""
    stock = SQLiteExecutionStore.create_and_initialize(tmp_path / "stock.sqlite3")
    store = runtime.durable.store
    save = store.save

    def save_to_both(execution: Execution) -> None:
        with store._turns:  # the saves of all threads, in the same order to both; the SDK's first, so an execution
            stock.save(execution)  # seen to end in duoflow's store has ended in the SDK's too
            save(execution)

    monkeypatch.setattr(store, "save", save_to_both)
    done = [
        start_durable(lam, "sum-then-ask", {"values": [1, 2, 3]}, unique("parts")),
        start_durable(lam, "retry-once", {"key": unique("retry")}, unique("parts")),
    ]
    waiting = start_durable(lam, "await-callback", {"timeout_minutes": 600}, unique("parts"))
    for arn in done:
        wait_durable_done(lam, arn)
    callback_id_of(lam, waiting, "nobody create callback id")

    after_a_restart = ReusedConnectionsStore.create_and_initialize(runtime.state_dir / DURABLE_STORE_FILE)
    for arn in [*done, waiting]:
        expected = stock.load(arn).to_json_dict()
        assert len(expected["Operations"]) > 1 and expected["Updates"]
        assert after_a_restart.load(arn).to_json_dict() == expected
    listed, _ = after_a_restart.query(function_name="sum-then-ask", execution_name=lam_name(lam, done[0]))
    assert [execution.to_json_dict() for execution in listed] == [stock.load(done[0]).to_json_dict()]
    lam.send_durable_execution_callback_success(
        CallbackId=callback_id_of(lam, waiting, "nobody create callback id"), Result=b'"ok"'
    )
    wait_durable_done(lam, waiting)


def lam_name(lam, arn: str) -> str:
    return lam.get_durable_execution(DurableExecutionArn=arn)["DurableExecutionName"]


def operation(execution: Execution, number: int, status: OperationStatus = OperationStatus.STARTED) -> Operation:
    return dataclasses.replace(
        execution.operations[0], operation_id=f"step-{number}", operation_type=OperationType.STEP, status=status
    )


def parts_rows(path, arn: str) -> dict[tuple[str, int], int]:
    """(part, position) -> the row's rowid, which a rewrite of the row changes (INSERT OR REPLACE)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT part, position, rowid FROM duoflow_execution_parts WHERE durable_execution_arn = ?", (arn,)
        ).fetchall()
    return {(part, position): rowid for part, position, rowid in rows}


def test_a_save_writes_the_new_and_the_replaced_elements_only(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = ReusedConnectionsStore.create_and_initialize(path)
    execution = Execution.new(durable_start_input())
    execution.start(now=NOW)
    execution.operations.extend(operation(execution, number) for number in range(1, 6))
    store.save(execution)
    before = parts_rows(path, execution.durable_execution_arn)
    assert len(before) == 6

    execution.operations[3] = operation(execution, 3, OperationStatus.SUCCEEDED)  # as the SDK does: a new object
    execution.operations.append(operation(execution, 6))
    store.save(execution)
    after = parts_rows(path, execution.durable_execution_arn)

    rewritten = {key for key in after if before.get(key) != after[key]}
    assert rewritten == {("Operations", 3), ("Operations", 6)}
    fresh = ReusedConnectionsStore.create_and_initialize(path).load(execution.durable_execution_arn)
    assert fresh.to_json_dict() == execution_as_the_sdk_reads_it(tmp_path, execution)


def execution_as_the_sdk_reads_it(tmp_path, execution: Execution) -> dict:
    stock = SQLiteExecutionStore.create_and_initialize(tmp_path / "stock.sqlite3")
    stock.save(execution)
    return stock.load(execution.durable_execution_arn).to_json_dict()


def test_an_execution_the_sdks_store_saved_whole_is_read_and_then_saved_in_parts(tmp_path):
    """A state directory from before the parts (its executions saved whole) reads as it was written; the next save
    moves the execution to parts, and what the whole row held does not come back."""
    path = tmp_path / "store.sqlite3"
    execution = Execution.new(durable_start_input())
    execution.start(now=NOW)
    execution.operations.append(operation(execution, 1))
    SQLiteExecutionStore.create_and_initialize(path).save(execution)

    store = ReusedConnectionsStore.create_and_initialize(path)
    loaded = store.load(execution.durable_execution_arn)
    assert loaded.to_json_dict() == execution_as_the_sdk_reads_it(tmp_path / "a", execution)

    loaded.operations[1] = operation(loaded, 1, OperationStatus.SUCCEEDED)
    store.save(loaded)
    again = ReusedConnectionsStore.create_and_initialize(path).load(execution.durable_execution_arn)
    assert [op.status for op in again.operations] == [OperationStatus.STARTED, OperationStatus.SUCCEEDED]
    with sqlite3.connect(path) as conn:
        [(data,)] = conn.execute("SELECT data FROM executions").fetchall()
    assert '"Operations": []' in data


def test_what_saving_only_the_changes_relies_on_in_the_pinned_sdk():
    """The growing parts are keys of the SDK's execution JSON, and their elements (and what they hold) are frozen
    dataclasses: an element that is still the same object has not changed. Fails when the pinned SDK moves."""
    execution = Execution.new(durable_start_input())
    execution.start(now=NOW)
    keys = execution.to_json_dict().keys()
    assert {key for key, _attribute, _as_json in GROWING_PARTS} <= keys
    assert all(hasattr(execution, attribute) for _key, attribute, _as_json in GROWING_PARTS)
    for element_class in (Operation, OperationUpdate, InvocationCompletedDetails):
        assert element_class.__dataclass_params__.frozen, element_class
        for hint in typing.get_type_hints(element_class).values():
            for held in (hint, *typing.get_args(hint)):
                if dataclasses.is_dataclass(held):
                    assert held.__dataclass_params__.frozen, (element_class, held)


def test_a_corrupted_row_or_part_is_refused_as_the_sdks_store_refuses_it(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = ReusedConnectionsStore.create_and_initialize(path)
    execution = Execution.new(durable_start_input())
    execution.start(now=NOW)
    store.save(execution)
    arn = execution.durable_execution_arn
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE duoflow_execution_parts SET data = '{not json' WHERE durable_execution_arn = ?", (arn,))

    with pytest.raises(ValueError, match=f"Corrupted execution data for {re.escape(arn)}"):
        ReusedConnectionsStore(path).load(arn)
    with pytest.raises(ResourceNotFoundException):
        ReusedConnectionsStore(path).load(arn + "-never-saved")


def test_a_list_of_durable_executions_is_the_sdks_list_read_from_rows_and_first_operations(tmp_path):
    """ListDurableExecutions(ByFunction) summarises each execution from its row and its first operation
    (``JournaledExecutor.list_executions``, ``ReusedConnectionsStore.query_for_summaries``); the summaries, their
    order and their pages are the SDK's own list's, which reads every execution whole: compared under every filter,
    on executions saved in parts (running, succeeded, failed) and one the SDK's store saved whole."""
    path = tmp_path / "store.sqlite3"
    store = ReusedConnectionsStore.create_and_initialize(path)
    for number in range(6):
        execution = Execution.new(
            durable_start_input(
                function_name=f"f{number % 2}", execution_name=f"n{number % 3}", invocation_id=f"{number}"
            )
        )
        execution.start(now=NOW + datetime.timedelta(minutes=number))
        execution.operations.extend(operation(execution, step) for step in range(1, 4))
        if number % 3 == 1:
            execution.complete_success(result='"done"', now=NOW + datetime.timedelta(minutes=number, seconds=30))
        if number % 3 == 2:
            execution.complete_fail(ErrorObject.from_message("no"), now=NOW + datetime.timedelta(hours=number))
        (SQLiteExecutionStore(path) if number == 5 else store).save(execution)  # the last one saved whole
    on_the_file = types.SimpleNamespace(_store=ReusedConnectionsStore(path), _region="eu-west-1")

    def both(**filters: typing.Any) -> tuple[dict, dict]:
        ours = JournaledExecutor.list_executions(on_the_file, **filters)
        sdks = Executor.list_executions(on_the_file, **filters)
        return ours.to_dict(), sdks.to_dict()

    after = (NOW + datetime.timedelta(minutes=2)).isoformat()
    for filters in (
        {},
        {"function_name": "f1"},
        {"function_name": "f0", "execution_name": "n2"},
        {"status_filter": "RUNNING"},
        {"status_filter": "FAILED", "reverse_order": True},
        {"started_after": after, "started_before": (NOW + datetime.timedelta(minutes=4)).isoformat()},
        {"max_items": 2},
        {"max_items": 2, "marker": "2"},
        {"max_items": 2, "marker": "4", "reverse_order": True},
        {"marker": "not a number"},
    ):
        ours, sdks = both(**filters)
        assert ours == sdks, filters
        assert ours["DurableExecutions"], filters
    every, _ = both()
    assert {summary["Status"] for summary in every["DurableExecutions"]} == {"RUNNING", "SUCCEEDED", "FAILED"}
    assert sum("EndTimestamp" in summary for summary in every["DurableExecutions"]) == 4
    read, _ = on_the_file._store.query_for_summaries(limit=50)
    assert [len(execution.operations) for execution in read] == [1, 1, 1, 1, 1, 4]  # the one saved whole: as it is
