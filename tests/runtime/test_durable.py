"""Durable functions on the local runtime: start, de-duplication, history, callbacks, timeouts, the store."""

from __future__ import annotations

import datetime
import json
import sqlite3
import time

import pytest
from botocore.exceptions import ClientError

from tests.runtime.conftest import (
    callback_id_of,
    durable_history,
    start_durable,
    unique,
    wait_durable_done,
)
from tests.waiting import DEADLINE, faster_than_real


def executions_named(lam, function: str, name: str) -> list[dict]:
    return lam.list_durable_executions_by_function(FunctionName=function, DurableExecutionName=name)[
        "DurableExecutions"
    ]


def store_rows(runtime, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(runtime.state_dir / "durable-executions.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def by_type(events: list[dict], event_type: str, name: str | None = None) -> list[dict]:
    return [e for e in events if e["EventType"] == event_type and (name is None or e.get("Name") == name)]


# --- starting and de-duplicating ---------------------------------------------------------------------------


def test_the_same_name_and_payload_return_the_same_execution(lam, runtime):
    name = unique("dedup")
    payload = {"values": [1, 2]}

    first = start_durable(lam, "sum-then-ask", payload, name)
    second = start_durable(lam, "sum-then-ask", payload, name)

    assert first == second
    assert [e["DurableExecutionArn"] for e in executions_named(lam, "sum-then-ask", name)] == [first]
    assert store_rows(runtime, "SELECT count(*) FROM executions WHERE execution_name = ?", name) == [(1,)]
    wait_durable_done(lam, first)


def test_the_same_name_with_another_payload_is_refused(lam, runtime):
    name = unique("conflict")
    first = start_durable(lam, "sum-then-ask", {"values": [1]}, name)

    for invocation_type in ("Event", "RequestResponse"):
        with pytest.raises(lam.exceptions.DurableExecutionAlreadyStartedException) as raised:
            lam.invoke(
                FunctionName="sum-then-ask",
                InvocationType=invocation_type,
                Payload=json.dumps({"values": [2]}),
                DurableExecutionName=name,
            )
        # As in AWS: Lambda refuses the call itself (HTTP 409), it is not a function error.
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert name in raised.value.response["Error"]["Message"]

    assert [e["DurableExecutionArn"] for e in executions_named(lam, "sum-then-ask", name)] == [first]
    done = wait_durable_done(lam, first)
    assert json.loads(done["InputPayload"]) == {"values": [1]}


def test_the_execution_completes_with_the_right_result(lam):
    name = unique("sum")
    arn = start_durable(lam, "sum-then-ask", {"values": [1, 2, 3]}, name)

    done = wait_durable_done(lam, arn)

    assert done["Status"] == "SUCCEEDED"
    assert done["DurableExecutionName"] == name
    assert done["FunctionArn"].startswith("arn:aws:lambda:us-east-1:123456789012:function:sum-then-ask")
    assert json.loads(done["Result"]) == {"total": 9, "answer": {"echo": 9}}


def test_a_runs_watcher_is_told_when_its_durable_execution_ends_once_the_end_is_stored(lam, runtime, monkeypatch):
    """As a Step Functions execution's end (tests/runtime/test_state_machine.py): the watcher of the execution's
    name is told, and by then the stored status is the end (stopped here, and completed)."""
    # one that completes by itself, one that waits for a callback nobody answers (10 modelled hours) until stopped
    runs = {
        unique("told"): ("sum-then-ask", {"values": [1]}),
        unique("told"): ("await-callback", {"timeout_minutes": 600}),
    }
    names = list(runs)
    seen: list[tuple[str, list[str]]] = []
    tell = runtime.endings.ended

    def telling(name: str) -> None:
        seen.append((name, runtime.durable_statuses(runs[name][0], name)))
        tell(name)

    monkeypatch.setattr(runtime.endings, "ended", telling)
    watched = [runtime.endings.watch(name) for name in names]
    completed, stopped = (start_durable(lam, function, payload, name) for name, (function, payload) in runs.items())
    lam.stop_durable_execution(DurableExecutionArn=stopped)
    for arn in (completed, stopped):
        wait_durable_done(lam, arn)
    # told right after the end is stored: the status can be read a moment before the watcher is told
    assert all(told.wait(DEADLINE) for told in watched)

    assert sorted(seen) == sorted([(names[0], ["SUCCEEDED"]), (names[1], ["STOPPED"])])


def test_the_sdks_executor_ends_every_execution_through_complete_events_once_it_is_stored():
    """What JournaledExecutor._complete_events relies on in the pinned testing SDK: each of the four ends (success,
    failure, timeout, stop) stores the execution, then calls ``_complete_events``, and nothing else ends one."""
    import inspect
    import re

    from aws_durable_execution_sdk_python_testing import executor

    ends = re.findall(r"\bexecution\.complete_(success|fail|timeout|stopped)\(", inspect.getsource(executor))
    assert sorted(ends) == ["fail", "stopped", "success", "timeout"]
    told = "self._complete_events(execution_arn=execution_arn)"
    for end in (executor.Executor.complete_execution, executor.Executor.fail_execution, executor.Executor._apply_stop):
        body = inspect.getsource(end)
        assert body.index("self._store.update(execution)") < body.index(told)
    timed_out = inspect.getsource(executor.Executor.on_timed_out)
    assert timed_out.index("self._apply_timeout(") < timed_out.index(".result()") < timed_out.index(told)
    assert "self._store.update(execution)" in inspect.getsource(executor.Executor._apply_timeout)


def test_the_history_shows_parallel_steps_the_callback_and_the_wait(lam):
    arn = start_durable(lam, "sum-then-ask", {"values": [10, 20, 30]})
    wait_durable_done(lam, arn)

    events = durable_history(lam, arn)

    types = [e["EventType"] for e in events]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    (parallel,) = [e for e in by_type(events, "ContextStarted") if e.get("SubType") == "Parallel"]
    assert parallel["Name"] == "add one"
    branches = [e for e in by_type(events, "ContextSucceeded") if e.get("SubType") == "ParallelBranch"]
    assert len(branches) == 3 and all(b["ParentId"] == parallel["Id"] for b in branches)
    steps = by_type(events, "StepSucceeded", "add")
    assert sorted(int(s["StepSucceededDetails"]["Result"]["Payload"]) for s in steps) == [11, 21, 31]

    (callback_started,) = by_type(events, "CallbackStarted", "ask create callback id")
    assert callback_started["CallbackStartedDetails"]["CallbackId"]
    (callback_done,) = by_type(events, "CallbackSucceeded", "ask create callback id")
    assert json.loads(callback_done["CallbackSucceededDetails"]["Result"]["Payload"]) == {"echo": 63}

    (wait_started,) = by_type(events, "WaitStarted", "a minute")
    (wait_done,) = by_type(events, "WaitSucceeded", "a minute")
    assert wait_started["WaitStartedDetails"]["Duration"] == 60
    assert types.index("CallbackSucceeded") < types.index("WaitStarted") < types.index("WaitSucceeded")
    # The history carries the end of an operation in whole milliseconds and its start with microseconds, so a
    # modelled minute can read as up to a millisecond short (59.999076 s was seen).
    waited = wait_done["EventTimestamp"] - wait_started["EventTimestamp"]
    assert waited >= datetime.timedelta(seconds=60) - datetime.timedelta(milliseconds=1), waited


def test_a_failed_callback_fails_the_execution(lam):
    arn = start_durable(lam, "sum-then-ask", {"values": [1], "fail": True})

    done = wait_durable_done(lam, arn)

    assert done["Status"] == "FAILED"
    assert done["Error"]["ErrorMessage"] == "service said no"
    assert "Result" not in done
    events = durable_history(lam, arn)
    (failed,) = by_type(events, "CallbackFailed", "ask create callback id")
    assert by_type(events, "WaitStarted") == []  # nothing after the failed callback ran
    assert events[-1]["EventType"] == "ExecutionFailed"
    assert failed["EventTimestamp"] <= events[-1]["EventTimestamp"]


def test_a_request_response_invocation_of_a_durable_function_returns_its_result(lam):
    response = lam.invoke(
        FunctionName="sum-then-ask", Payload=json.dumps({"values": [5]}), DurableExecutionName=unique("sync")
    )

    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"total": 6, "answer": {"echo": 6}}


def test_executions_can_be_listed_by_function_arn(lam, runtime):
    name = unique("by-arn")
    arn = start_durable(lam, "await-callback", {"timeout_minutes": 60}, name)

    listed = lam.list_durable_executions_by_function(
        FunctionName=runtime.function_arn("await-callback"), DurableExecutionName=name
    )["DurableExecutions"]

    assert [e["DurableExecutionArn"] for e in listed] == [arn]


def test_the_runtime_reads_execution_statuses_as_the_list_api_gives_them(lam, runtime):
    name = unique("statuses")
    arn = start_durable(lam, "sum-then-ask", {"values": [4]}, name)

    def listed() -> list[str]:
        return [e["Status"] for e in executions_named(lam, "sum-then-ask", name)]

    assert runtime.durable_statuses("sum-then-ask", name) in (listed(), ["SUCCEEDED"])
    wait_durable_done(lam, arn)
    assert runtime.durable_statuses("sum-then-ask", name) == listed() == ["SUCCEEDED"]
    assert runtime.durable_statuses(runtime.function_arn("sum-then-ask"), name) == ["SUCCEEDED"]
    assert runtime.durable_statuses(runtime.function_arn("sum-then-ask") + ":$LATEST", name) == ["SUCCEEDED"]
    assert runtime.durable_statuses("sum-then-ask", unique("never-started")) == []


# --- callbacks nobody answers ---------------------------------------------------------------------------------


def test_a_heartbeat_on_a_live_callback_is_accepted(lam):
    arn = start_durable(lam, "await-callback", {"timeout_minutes": 60})
    callback_id = callback_id_of(lam, arn, "nobody create callback id")

    heartbeat = lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)

    assert heartbeat["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert lam.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    lam.send_durable_execution_callback_success(CallbackId=callback_id, Result=json.dumps({"ok": True}).encode())
    done = wait_durable_done(lam, arn)
    assert done["Status"] == "SUCCEEDED"
    assert json.loads(done["Result"]) == {"answer": {"ok": True}}

    with pytest.raises(ClientError) as raised:  # the callback is no longer live
        lam.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "not active" in raised.value.response["Error"]["Message"]


def test_an_unanswered_callback_times_out_after_its_modelled_timeout(lam):
    began = time.monotonic()
    arn = start_durable(lam, "await-callback", {"timeout_minutes": 5})  # 300 s modelled, 0.3 s real

    done = wait_durable_done(lam, arn)

    elapsed = time.monotonic() - began
    assert 0.3 <= elapsed < faster_than_real(300), "the 5-minute callback timeout should take 0.3 s of real time"
    assert done["Status"] == "FAILED"
    assert done["Error"]["ErrorMessage"] == "Callback timed out"
    assert done["Error"]["ErrorType"].endswith("CallbackTimeoutError")
    events = durable_history(lam, arn)
    (timed_out,) = by_type(events, "CallbackTimedOut", "nobody create callback id")
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Timeout"
    assert events[-1]["EventType"] == "ExecutionFailed"


def test_a_callback_timeout_fires_at_scaled_time_and_shows_the_clock_then(lam):
    """Documented limit (duoflow/runtime/time_control.py): the SDK arms callback timeouts with
    Scheduler.call_later, not Clock.arm, so the modelled clock does not jump; the history shows the real gap."""
    arn = start_durable(lam, "await-callback", {"timeout_minutes": 5})
    wait_durable_done(lam, arn)

    events = durable_history(lam, arn)

    (started,) = by_type(events, "CallbackStarted")
    (timed_out,) = by_type(events, "CallbackTimedOut")
    assert timed_out["EventTimestamp"] - started["EventTimestamp"] < datetime.timedelta(seconds=300)


# --- the durable APIs' error surface ----------------------------------------------------------------------------


def test_an_unknown_execution_is_a_404(lam):
    with pytest.raises(ClientError) as raised:
        lam.get_durable_execution(DurableExecutionArn="no-such/execution")

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_an_unknown_execution_is_a_resource_not_found_exception(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_durable_execution(DurableExecutionArn="no-such/execution")


# --- the store ---------------------------------------------------------------------------------------------------


def test_the_execution_is_kept_in_the_sqlite_file_under_state_dir(lam, runtime):
    name = unique("stored")
    arn = start_durable(lam, "sum-then-ask", {"values": [4]}, name)
    wait_durable_done(lam, arn)

    rows = store_rows(
        runtime,
        "SELECT function_name, execution_name, status FROM executions WHERE durable_execution_arn = ?",
        arn,
    )
    names = store_rows(
        runtime,
        "SELECT execution_arn, payload FROM duoflow_execution_names WHERE function_name = ? AND execution_name = ?",
        "sum-then-ask",
        name,
    )

    assert rows == [("sum-then-ask", name, "SUCCEEDED")]
    assert names == [(arn, json.dumps({"values": [4]}))]
