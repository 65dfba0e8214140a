"""Shared fixtures and helpers for the local-runtime tier.

Only one :class:`LocalRuntime` may run per process (moto's interception is process-wide), so the ``runtime``
fixture is module-scoped and always stopped in teardown; a module that starts its own runtimes must not use it.
Modelled time runs at ``SCALE``: a modelled minute takes 60 ms of real time.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest

from duoflow.runtime import LocalRuntime, TimeControl
from tests.runtime.fixtures.extra import EXTRA_CATALOG
from tests.runtime.fixtures.functions import CATALOG
from tests.waiting import DEADLINE, wait_until

SCALE = 0.001
FULL_CATALOG = [*CATALOG, *EXTRA_CATALOG]
ROLE_ARN = "arn:aws:iam::123456789012:role/duoflow-tests"

T = TypeVar("T")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- starting a runtime ---------------------------------------------------------------------------------------


def start_runtime(state_dir: Any, scale: float = SCALE, catalog: list | None = None) -> LocalRuntime:
    runtime = LocalRuntime(catalog or FULL_CATALOG, state_dir=state_dir, time_control=TimeControl.scaled(scale))
    runtime.start()  # also installs the JSONata evaluator
    try:
        runtime.deploy_functions()
    except BaseException:
        runtime.stop()
        raise
    return runtime


@pytest.fixture
def no_runtime_left_running() -> Iterator[None]:
    """For tests that start their own runtimes: none is running before, and none is left after."""
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test"
    yield
    if LocalRuntime._current is not None:
        LocalRuntime._current.stop()
        pytest.fail("the test left a LocalRuntime running")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test module"
    rt = start_runtime(tmp_path_factory.mktemp("state"))
    try:
        yield rt
    finally:
        rt.stop()


@pytest.fixture(scope="module")
def lam(runtime: LocalRuntime) -> Any:
    return runtime.client("lambda")


@pytest.fixture(scope="module")
def sfn(runtime: LocalRuntime) -> Any:
    return runtime.client("stepfunctions")


# --- durable executions -----------------------------------------------------------------------------------------


def start_durable(lam: Any, function: str, payload: dict, name: str | None = None) -> str:
    response = lam.invoke(
        FunctionName=function,
        InvocationType="Event",
        Payload=json.dumps(payload),
        DurableExecutionName=name or unique("exec"),
    )
    assert response["StatusCode"] == 202, response
    assert "FunctionError" not in response, response["Payload"].read()
    return response["DurableExecutionArn"]


def wait_durable_done(lam: Any, arn: str, timeout: float = DEADLINE) -> dict:
    """Poll ``get_durable_execution`` until the execution leaves RUNNING; return its description."""

    def done() -> dict | None:
        description = lam.get_durable_execution(DurableExecutionArn=arn)
        return description if description["Status"] != "RUNNING" else None

    return wait_until(done, timeout=timeout, what=f"durable execution {arn} still RUNNING")


def durable_history(lam: Any, arn: str) -> list[dict]:
    events: list[dict] = []
    kwargs: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
    while True:
        page = lam.get_durable_execution_history(**kwargs)
        events.extend(page["Events"])
        if not page.get("NextMarker"):
            return events
        kwargs["Marker"] = page["NextMarker"]


def callback_id_of(lam: Any, arn: str, operation_name: str) -> str:
    """Wait until the callback operation ``operation_name`` has started and return its callback id."""

    def find() -> str | None:
        for event in durable_history(lam, arn):
            if event["EventType"] == "CallbackStarted" and event.get("Name") == operation_name:
                return event["CallbackStartedDetails"]["CallbackId"]
        return None

    return wait_until(find, what=f"no CallbackStarted {operation_name!r} in {arn}")


# --- state machines ---------------------------------------------------------------------------------------------


def durable_start_input(**overrides: Any) -> Any:
    """What the testing SDK's executor starts a durable execution from (one function, one name), for tests that
    build an ``Execution`` themselves."""
    from aws_durable_execution_sdk_python_testing.model import StartDurableExecutionInput

    fields = {
        "account_id": "123456789012",
        "function_name": "f",
        "function_qualifier": "$LATEST",
        "execution_name": "n",
        "execution_timeout_seconds": 60,
        "execution_retention_period_days": 1,
        "invocation_id": "run",
    }
    return StartDurableExecutionInput(**{**fields, **overrides})


def create_state_machine(sfn: Any, definition: dict, name: str | None = None) -> str:
    return sfn.create_state_machine(name=name or unique("sm"), definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def wait_sfn_done(sfn: Any, execution_arn: str, timeout: float = DEADLINE) -> dict:
    def done() -> dict | None:
        description = sfn.describe_execution(executionArn=execution_arn)
        return description if description["status"] != "RUNNING" else None

    return wait_until(done, timeout=timeout, what=f"execution {execution_arn} still RUNNING")


def run_state_machine(
    sfn: Any, definition: dict, payload: Any, timeout: float = DEADLINE, name: str | None = None
) -> tuple[dict, list[dict], float]:
    """Create, start and finish an execution; return (describe_execution, history events, real seconds)."""
    machine = create_state_machine(sfn, definition)
    began = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=machine, name=name or unique("run"), input=json.dumps(payload))
    description = wait_sfn_done(sfn, execution["executionArn"], timeout)
    elapsed = time.monotonic() - began
    return description, sfn_history(sfn, execution["executionArn"]), elapsed


def sfn_history(sfn: Any, execution_arn: str) -> list[dict]:
    events: list[dict] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def event_types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]
