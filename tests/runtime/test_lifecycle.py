"""Starting and stopping runtimes: one at a time, and nothing left behind. (Does not use the shared fixture.)"""

from __future__ import annotations

import json
import os

import pytest

from duoflow.runtime import LocalRuntime, TimeControl, pins
from duoflow.runtime.runtime import RuntimeAlreadyRunning
from tests.runtime.conftest import FULL_CATALOG, SCALE, start_durable, start_runtime, wait_durable_done
from tests.waiting import wait_until

# Each test starts and stops its own runtime.
pytestmark = pytest.mark.usefixtures("no_runtime_left_running")


def test_two_runtimes_cannot_run_at_once(tmp_path):
    first = start_runtime(tmp_path / "first")
    try:
        second = LocalRuntime(FULL_CATALOG, state_dir=tmp_path / "second", time_control=TimeControl.scaled(SCALE))
        with pytest.raises(RuntimeAlreadyRunning):
            second.start()
        with pytest.raises(RuntimeAlreadyRunning):
            with LocalRuntime(FULL_CATALOG, state_dir=tmp_path / "third"):
                pass  # pragma: no cover

        # The refused runtimes did not disturb the running one.
        assert LocalRuntime._current is first
        second.stop()  # stopping a runtime that never started is a no-op
        assert LocalRuntime._current is first
        response = first.client("lambda").invoke(FunctionName="double", Payload=json.dumps({"value": 2}))
        assert json.loads(response["Payload"].read()) == {"value": 4}
    finally:
        first.stop()

    # Once the first one is stopped, another may start.
    with LocalRuntime(FULL_CATALOG, state_dir=tmp_path / "fourth", time_control=TimeControl.scaled(SCALE)) as again:
        assert LocalRuntime._current is again
    assert LocalRuntime._current is None


def test_a_stopped_runtime_restores_os_environ(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-3")  # set before: restored to this value
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)  # unset before: removed again
    monkeypatch.delenv("ANSWER_FUNCTION", raising=False)
    monkeypatch.delenv("DUOFLOW_TIME_SCALE", raising=False)
    before = dict(os.environ)

    runtime = start_runtime(tmp_path)
    try:
        assert os.environ["AWS_REGION"] == "us-east-1"
        assert os.environ["AWS_ACCESS_KEY_ID"]  # fake credentials (moto's mock replaces the runtime's "testing")
        assert os.environ["DUOFLOW_TIME_SCALE"] == repr(SCALE)
        # the catalog's environment is each function's own (function_environment.py), not the process's
        assert "ANSWER_FUNCTION" not in os.environ
        assert runtime.environment_of("sum-then-ask")["ANSWER_FUNCTION"] == "answer-callback"
    finally:
        runtime.stop()

    assert dict(os.environ) == before
    runtime.stop()  # a second stop is a no-op
    assert dict(os.environ) == before


def test_a_stopped_runtime_unhooks_lambda(tmp_path):
    from moto.awslambda import urls
    from moto.awslambda_simple.models import LambdaSimpleBackend

    original_invoke = LambdaSimpleBackend.invoke
    routes = set(urls.url_paths)

    runtime = start_runtime(tmp_path)
    try:
        assert LambdaSimpleBackend.invoke is not original_invoke
        assert len(set(urls.url_paths) - routes) == 1  # the durable APIs
    finally:
        runtime.stop()

    assert LambdaSimpleBackend.invoke is original_invoke
    assert set(urls.url_paths) == routes


def test_a_stopped_runtime_stops_its_aws_endpoint_and_every_thread_of_it(tmp_path):
    import socket
    import threading

    import boto3
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    from duoflow.runtime.aws_endpoint import REQUEST_THREAD, SERVER_THREAD

    def endpoint_threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name in (SERVER_THREAD, REQUEST_THREAD)]

    runtime = start_runtime(tmp_path)
    try:
        url = runtime.serve_aws()
        assert url.startswith("http://127.0.0.1:")  # loopback unless told otherwise
        client = boto3.client(
            "stepfunctions",
            endpoint_url=url,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=10),
        )
        assert client.list_state_machines()["stateMachines"] == []  # over HTTP: the client keeps its connection
        idle = socket.create_connection(runtime.aws_endpoint._server.server_address)  # a connection that sends nothing
        wait_until(lambda: endpoint_threads().count(REQUEST_THREAD) == 2, what="a thread per connection")
        with pytest.raises(RuntimeError, match="already serves"):
            runtime.serve_aws()
    finally:
        runtime.stop()

    assert runtime.aws_endpoint is None
    assert endpoint_threads() == []
    assert idle.recv(1) == b""  # closed by the endpoint
    idle.close()
    with pytest.raises(EndpointConnectionError):
        client.list_state_machines()


def test_a_runtime_on_unsupported_versions_does_not_start(tmp_path, monkeypatch):
    real_version = pins.version
    monkeypatch.setattr(pins, "version", lambda name: "0.0.1" if name == "moto" else real_version(name))
    before = dict(os.environ)

    with pytest.raises(pins.UnsupportedLibraryVersion):
        LocalRuntime(FULL_CATALOG, state_dir=tmp_path).start()

    assert LocalRuntime._current is None
    assert dict(os.environ) == before


def test_durable_executions_and_their_names_survive_a_restart(tmp_path):
    payload = {"values": [2, 3]}
    runtime = start_runtime(tmp_path)
    try:
        lam = runtime.client("lambda")
        arn = start_durable(lam, "sum-then-ask", payload, "survivor")
        assert wait_durable_done(lam, arn)["Status"] == "SUCCEEDED"
    finally:
        runtime.stop()
    assert (tmp_path / "durable-executions.sqlite3").is_file()

    runtime = start_runtime(tmp_path)
    try:
        lam = runtime.client("lambda")
        restored = lam.get_durable_execution(DurableExecutionArn=arn)
        assert restored["Status"] == "SUCCEEDED"
        assert json.loads(restored["Result"]) == {"total": 7, "answer": {"echo": 7}}
        assert any(
            e["EventType"] == "WaitSucceeded"
            for e in lam.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        )
        # The name is still taken: the same name and payload return the stored execution.
        assert start_durable(lam, "sum-then-ask", payload, "survivor") == arn
    finally:
        runtime.stop()


def test_start_installs_the_jsonata_evaluator(tmp_path, monkeypatch):
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    from duoflow.runtime.patches import moto_jsonata as jsonata_patch

    monkeypatch.setattr(moto_jsonata, "_eval_jsonata", None)  # as moto ships it: no evaluator

    runtime = start_runtime(tmp_path)
    try:
        assert moto_jsonata._eval_jsonata is jsonata_patch.evaluate
    finally:
        runtime.stop()
    assert moto_jsonata._eval_jsonata is None  # moto's stub again


def test_a_runtime_without_a_state_dir_cleans_up_its_own():
    runtime = LocalRuntime(FULL_CATALOG, time_control=TimeControl.scaled(SCALE)).start()
    state_dir = runtime.state_dir
    assert state_dir.exists()
    runtime.stop()
    assert not state_dir.exists()


def test_a_stopped_runtime_leaves_moto_at_real_time(tmp_path):
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    from duoflow.runtime.patches import moto_stepfunctions

    runtime = LocalRuntime(FULL_CATALOG, state_dir=tmp_path, time_control=TimeControl.scaled(SCALE)).start()
    assert moto_stepfunctions._active.scale == SCALE
    runtime.stop()
    assert moto_stepfunctions._active == TimeControl.real()
    assert retrier_decl.time is __import__("time")  # moto's own timers again


def test_a_stopped_runtime_gives_the_garbage_collector_back_its_settings(tmp_path):
    import gc

    from duoflow.runtime.runtime import GC_THRESHOLDS

    before = gc.get_threshold()
    runtime = start_runtime(tmp_path)
    try:
        assert gc.get_threshold() == GC_THRESHOLDS
        runtime.settle()
        assert gc.get_freeze_count() > 0
    finally:
        runtime.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_stop_waits_for_running_handlers_within_its_bound() -> None:
    import threading
    import time

    from duoflow.runtime.in_flight import InFlight

    in_flight = InFlight()
    released = threading.Event()

    def handler() -> None:
        with in_flight:
            released.wait()

    worker = threading.Thread(target=handler)
    worker.start()
    assert in_flight.wait_idle(time.monotonic() + 0.05) is False  # still running: the bound holds
    released.set()
    assert in_flight.wait_idle(time.monotonic() + 10) is True
    worker.join()
