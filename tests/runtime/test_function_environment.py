"""One environment per function (duoflow/runtime/function_environment.py, patches/python_stdlib.py): each function
sees its own variables while it runs, two functions may give one variable different values, and nothing of it is
left in the process. (Starts its own runtimes: does not use the shared fixture.)"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from duoflow.runtime import FunctionSpec, LocalRuntime
from duoflow.runtime.function_environment import ReservedEnvironmentVariable
from duoflow.runtime.patches import python_stdlib
from tests.runtime.conftest import start_durable, start_runtime, wait_durable_done
from tests.runtime.fixtures import environments
from tests.runtime.fixtures.environments import ENVIRONMENT_CATALOG

pytestmark = pytest.mark.usefixtures("no_runtime_left_running")

PROCESS_VALUE = "the process's"
ROUNDS = 12
PER_FUNCTION = 4  # invocations of each function in one round, all inside their handlers at once


@pytest.fixture
def runtime(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    monkeypatch.setenv("SHARED", PROCESS_VALUE)
    monkeypatch.delenv("DELETABLE", raising=False)
    monkeypatch.delenv("WRITTEN", raising=False)
    rt = start_runtime(tmp_path, catalog=ENVIRONMENT_CATALOG)
    try:
        yield rt
    finally:
        rt.stop()


def invoke(runtime: LocalRuntime, function: str, event: dict) -> dict:
    response = runtime.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    payload = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, payload
    return payload


def every_reading(value: str | None) -> dict[str, Any]:
    return dict.fromkeys(("environ", "getenv", "get", "copy", "items"), value)


def test_two_functions_invoked_at_once_each_see_their_own_value_every_time(runtime):
    functions = {"plain-a": "a", "plain-b": "b", "plain-unset": PROCESS_VALUE}
    parties = PER_FUNCTION * len(functions)
    mismatches = []
    with ThreadPoolExecutor(max_workers=parties) as callers:
        for _ in range(ROUNDS):
            environments.overlap = threading.Barrier(parties)
            futures = {
                callers.submit(invoke, runtime, function, {"overlap": True}): function
                for function in functions
                for _ in range(PER_FUNCTION)
            }
            for future, function in futures.items():
                expected = functions[function]
                seen = future.result(timeout=60)
                wanted = {
                    "before": every_reading(expected),
                    "after": every_reading(expected),
                    "thread": expected,
                    "pool": expected,
                    "shared pool": expected,
                }
                if seen != wanted:
                    mismatches.append((function, seen))
            assert not environments.overlap.broken, "the round's handlers did not all run at once"
    assert mismatches == []
    assert os.environ["SHARED"] == PROCESS_VALUE  # the caller, outside any handler


def test_a_durable_functions_steps_and_parallel_branches_see_its_value(runtime):
    lam = runtime.client("lambda")
    arns = [start_durable(lam, "durable-c", {"run": index}) for index in range(4)]
    # plain functions run meanwhile, on the caller's thread
    assert invoke(runtime, "plain-a", {})["before"]["getenv"] == "a"
    for arn in arns:
        description = wait_durable_done(lam, arn)
        assert description["Status"] == "SUCCEEDED", description
        assert json.loads(description["Result"]) == {"handler": "c", "step": "c", "branches": ["c", "c"]}


def test_a_handlers_writes_and_deletes_stay_in_its_function(runtime):
    written = invoke(runtime, "plain-a", {"write": {"WRITTEN": "by a"}, "key": "WRITTEN"})
    assert written["before"] == every_reading("by a")

    assert invoke(runtime, "plain-a", {"key": "WRITTEN"})["before"]["environ"] == "by a"  # a's later invocations
    assert invoke(runtime, "plain-b", {"key": "WRITTEN"})["before"] == every_reading(None)  # not b
    assert "WRITTEN" not in os.environ  # nor the process
    assert runtime.environment_of("plain-a").as_dict()["WRITTEN"] == "by a"

    deleted = invoke(runtime, "plain-a", {"delete": ["DELETABLE", "SHARED"], "key": "DELETABLE"})
    assert deleted["before"] == every_reading(None)
    assert deleted["thread"] is None  # SHARED: deleted for a, though the process has it
    assert invoke(runtime, "plain-b", {"key": "DELETABLE"})["before"]["getenv"] == "b's"
    assert os.environ["SHARED"] == PROCESS_VALUE


def test_a_logger_made_in_the_handler_has_its_functions_service_name(runtime):
    assert invoke(runtime, "plain-a", {"logger": True})["service"] == "service-a"
    assert invoke(runtime, "plain-b", {"logger": True})["service"] == "service-b"


def test_an_override_changes_a_functions_value_for_a_while(runtime):
    environment = runtime.environment_of("plain-b")
    with environment.overridden(SHARED="for now", EXTRA="x"):
        assert invoke(runtime, "plain-b", {})["before"]["get"] == "for now"
        assert invoke(runtime, "plain-a", {})["before"]["get"] == "a"
    assert environment.as_dict() == {"SHARED": "b", "POWERTOOLS_SERVICE_NAME": "service-b", "DELETABLE": "b's"}


def test_the_process_environment_is_the_same_during_and_after_the_runtime(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARED", PROCESS_VALUE)
    for key in ("DELETABLE", "POWERTOOLS_SERVICE_NAME", "WRITTEN"):
        monkeypatch.delenv(key, raising=False)
    environ_type = type(os.environ)
    own_methods = {name: vars(environ_type)[name] for name in python_stdlib._ENVIRON}
    before = dict(os.environ)

    runtime = start_runtime(tmp_path, catalog=ENVIRONMENT_CATALOG)
    try:
        invoke(runtime, "plain-a", {"write": {"WRITTEN": "by a"}, "delete": ["SHARED"]})
        outside = {key: os.environ.get(key) for key in ("SHARED", "DELETABLE", "POWERTOOLS_SERVICE_NAME", "WRITTEN")}
        assert outside == {"SHARED": PROCESS_VALUE, "DELETABLE": None, "POWERTOOLS_SERVICE_NAME": None, "WRITTEN": None}
    finally:
        runtime.stop()

    assert dict(os.environ) == before
    assert {name: vars(environ_type)[name] for name in python_stdlib._ENVIRON} == own_methods


def test_a_function_setting_a_reserved_variable_is_refused(tmp_path):
    catalog = [
        FunctionSpec(
            name="sets-region",
            handler="tests.runtime.fixtures.environments.report",
            description="sets AWS_REGION",
            environment={"AWS_REGION": "eu-west-3"},
        )
    ]
    with pytest.raises(ReservedEnvironmentVariable, match="'sets-region' sets AWS_REGION"):
        start_runtime(tmp_path, catalog=catalog)
    assert LocalRuntime._current is None


def test_the_hooked_standard_library_methods_are_each_classs_own():
    """A Python upgrade that moved one of them (inherited, renamed) fails here, before the hooks misbehave."""
    from concurrent.futures.thread import ThreadPoolExecutor as Pool

    for name in python_stdlib._ENVIRON:
        assert name in vars(type(os.environ)), name
    assert "start" in vars(threading.Thread)
    assert "submit" in vars(Pool)
