"""A runtime started again on the state directory of a stopped one: durable executions carry on, on the code that is
deployed now; a change to a durable handler's step order under a running execution fails it with a clear cause."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from duoflow.runtime import LocalRuntime
from tests.runtime.conftest import FULL_CATALOG, start_durable, start_runtime, unique
from tests.waiting import wait_until


def restarted(state_dir: Path, catalog: list | None = None) -> LocalRuntime:
    runtime = start_runtime(state_dir, catalog=catalog)
    runtime.resume()
    return runtime


def execution(runtime: LocalRuntime, arn: str) -> dict:
    return runtime.client("lambda").get_durable_execution(DurableExecutionArn=arn)


def waiting_callback_id(runtime: LocalRuntime, arn: str) -> str | None:
    events = runtime.client("lambda").get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    started = [e for e in events if e.get("EventType") == "CallbackStarted"]
    return started[0]["CallbackStartedDetails"]["CallbackId"] if started else None


def test_a_waiting_durable_execution_is_answered_after_a_restart(tmp_path: Path) -> None:
    runtime = start_runtime(tmp_path)
    try:
        arn = start_durable(runtime.client("lambda"), "await-callback", {"timeout_minutes": 60}, unique("wait"))
        callback_id = wait_until(lambda: waiting_callback_id(runtime, arn), what="the callback is created")
    finally:
        runtime.stop()
    runtime = restarted(tmp_path)
    try:
        assert runtime.resumed["running durable executions"] == 1
        assert execution(runtime, arn)["Status"] == "RUNNING"
        runtime.client("lambda").send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"yes"')
        ended = wait_until(lambda: execution(runtime, arn)["Status"] != "RUNNING" and execution(runtime, arn))
        assert ended["Status"] == "SUCCEEDED" and ended["Result"] == '{"answer": "yes"}'
    finally:
        runtime.stop()


def test_a_changed_step_order_fails_the_running_execution_with_a_clear_cause(tmp_path: Path) -> None:
    runtime = start_runtime(tmp_path)
    try:
        arn = start_durable(runtime.client("lambda"), "await-callback", {"timeout_minutes": 60}, unique("wait"))
        wait_until(lambda: waiting_callback_id(runtime, arn), what="the callback is created")
    finally:
        runtime.stop()
    changed = [
        dataclasses.replace(spec, handler="tests.runtime.fixtures.extra.await_callback_reordered")
        if spec.name == "await-callback"
        else spec
        for spec in FULL_CATALOG
    ]
    runtime = restarted(tmp_path, catalog=changed)
    try:
        ended = wait_until(lambda: execution(runtime, arn)["Status"] != "RUNNING" and execution(runtime, arn))
        assert ended["Status"] == "FAILED"
        error = ended["Error"]
        assert error["ErrorType"].endswith("NonDeterministicExecutionError")
        # What the history has and what the new code does, by name: enough to find the change.
        assert "name checkpoint='nobody' current='inserted step'" in error["ErrorMessage"]
    finally:
        runtime.stop()
