"""The durable tier: durable flows on the durable testing SDK's runner, time skipped, side effects in memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing import runner as runner_module

from duoflow.runtime.time_control import ScaledScheduler, TimeControl
from durable.wiring import Flow, durable_handler
from services.common import bootstrap
from services.common.notifier import InMemoryNotifier
from services.common.progress import InMemoryProgressLog
from services.simulated.credit_bureaus import SimulatedCreditBureaus
from tests.waiting import wait_until


class RecordingLambda:
    """Stands in for the Lambda client inside durable steps: records the async invokes (the fraud request)."""

    def __init__(self) -> None:
        self.invocations: list[tuple[str, str, dict[str, Any]]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:  # noqa: N803
        self.invocations.append((FunctionName, InvocationType, json.loads(Payload)))
        return {"StatusCode": 202}


class RecordingStepFunctions:
    """Stands in for the Step Functions client: records how the task token was answered."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, Any]] = []

    def send_task_success(self, taskToken: str, output: str) -> dict:  # noqa: N803
        self.answers.append(("success", taskToken, json.loads(output)))
        return {}

    def send_task_failure(self, taskToken: str, error: str, cause: str) -> dict:  # noqa: N803
        self.answers.append(("failure", taskToken, {"error": error, "cause": cause}))
        return {}


class BureausDown:
    """Every credit bureau fails, whatever the retries."""

    def pull(self, bureau: str, sin_last4: str) -> Any:
        raise ConnectionError(f"{bureau} is unavailable")


class FakeWorld:
    """The loan's side effects in memory, handed to the flow under test as its adapters."""

    def __init__(self) -> None:
        self.progress = InMemoryProgressLog()
        self.lambda_client = RecordingLambda()
        self.sfn_client = RecordingStepFunctions()
        self.bureaus: Any = SimulatedCreditBureaus()
        self.applicant_notifier = InMemoryNotifier()
        self.manager_notifier = InMemoryNotifier()
        self.adapters = bootstrap.bootstrap(
            progress=self.progress,
            applicant_notifier=self.applicant_notifier,
            manager_notifier=self.manager_notifier,
            bureaus=self.bureaus,
            lambda_client=self.lambda_client,
            sfn_client=self.sfn_client,
        )

    def use(self, **replacements: Any) -> None:
        """Replace some adapters, for the handlers made before and after."""
        self.adapters = replace(self.adapters, **replacements)

    def handler(self, flow: Flow) -> Callable:
        """The durable handler of ``flow``, wired to this world's adapters."""
        return durable_handler(flow, adapters=lambda: self.adapters)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> FakeWorld:
    monkeypatch.setenv("FRAUD_SERVICE_FUNCTION", "loan-fraud-service")
    return FakeWorld()


@pytest.fixture
def durable_runner(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable], DurableFunctionTestRunner]]:
    """``durable_runner(handler)``: the SDK's test runner with waits and retries skipped and callback timeouts
    scaled by 1/1000 (the runner waits callback timeouts in real seconds; a 5-minute timeout becomes 0.3 s)."""
    runners: list[DurableFunctionTestRunner] = []
    monkeypatch.setattr(runner_module, "Scheduler", lambda: ScaledScheduler(TimeControl.scaled(0.001)))

    def make(handler: Callable) -> DurableFunctionTestRunner:
        runner = DurableFunctionTestRunner(handler=handler, skip_time=True, poll_interval=0.01)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close()


def time_out_the_callback(runner: DurableFunctionTestRunner, callback_id: str, timeout_seconds: float) -> None:
    """Nobody answers the callback: its modelled ``timeout_seconds`` are advanced (``ScaledScheduler.advance``)
    instead of waited for, half first (it must still be waiting), then the rest. The execution's own timeout and
    every wait keep their time."""
    executor, scheduler = runner._executor, runner._scheduler
    armed = wait_until(lambda: executor._callback_timeouts.get(callback_id), what="the callback's timeout armed")
    this_timeout = {armed}.__contains__
    assert scheduler.advance(timeout_seconds / 2, this_timeout) == 0
    assert scheduler.advance(timeout_seconds / 2, this_timeout) == 1
