"""The time switch, and guards on the library internals it patches.

The runtime hooks into moto 5.2.5 (``Timeout._eval_body``, ``WaitFunction._wait_interval``,
``retrier_decl.time``, ``execute_state.threading``) and the durable testing SDK 1.4.0 (``Scheduler.call_later``, the ``Clock`` given to the
``Executor``). ``pins.check_versions`` refuses other versions; the guards below fail loudly, naming the hook,
if a library upgrade moves one anyway.
"""

from __future__ import annotations

import datetime
import gc
import importlib
import inspect
import re
import threading
import time
import tomllib
from pathlib import Path

import pytest

from duoflow.runtime import TimeControl, pins, time_control
from duoflow.runtime.time_control import ModelledClock, ScaledScheduler, TaskTimeouts
from tests.runtime.conftest import (
    SCALE,
    create_state_machine,
    durable_history,
    event_types,
    run_state_machine,
    sfn_history,
    start_durable,
    wait_durable_done,
    wait_sfn_done,
)
from tests.waiting import DEADLINE, faster_than_real, wait_until

ROOT = Path(__file__).resolve().parents[2]


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= all_subclasses(sub)
    return found


def source_of(obj) -> str:
    """Source from the installed file (not the patched object), so it shows what the library ships."""
    return inspect.getsource(obj)


# --- TimeControl ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0, -0.5, 1.0001, 2])
def test_time_control_rejects_scales_outside_0_to_1(scale):
    with pytest.raises(ValueError, match="time scale must be in"):
        TimeControl.scaled(scale)


def test_time_control_scales_modelled_seconds():
    assert TimeControl.real().scale == 1.0
    assert TimeControl.scaled(1).real_seconds(30) == 30
    assert TimeControl.scaled(0.001).real_seconds(3600) == pytest.approx(3.6)
    assert TimeControl.scaled(0.5).real_seconds(-10) == 0


def test_time_control_sleep_sleeps_the_scaled_time():
    began = time.monotonic()
    TimeControl.scaled(0.001).sleep(50)  # 50 modelled seconds
    assert 0.045 <= time.monotonic() - began < faster_than_real(50)


# --- the durable clock and scheduler (units) -----------------------------------------------------------------------


def test_modelled_clock_jumps_over_the_skipped_part_of_a_wait():
    clock = ModelledClock(TimeControl.scaled(0.001))
    before = clock.now()

    delay = clock.arm(before + datetime.timedelta(seconds=60))

    assert delay == pytest.approx(60, abs=0.05)  # modelled: ScaledScheduler turns it into 0.06 s
    jumped = (clock.now() - before).total_seconds()
    assert 59.9 <= jumped < 61  # the clock already shows most of the minute as passed
    assert clock.arm(before) == 0.0  # a wake in the past fires at once


def test_scaled_scheduler_runs_call_later_after_the_scaled_delay():
    scheduler = ScaledScheduler(TimeControl.scaled(0.001))
    scheduler.start()
    try:
        fired = threading.Event()
        began = time.monotonic()
        future = scheduler.call_later(fired.set, delay=100)  # 100 modelled seconds
        future.result(timeout=DEADLINE)
        elapsed = time.monotonic() - began
    finally:
        scheduler.stop()
    assert fired.is_set()
    assert 0.09 <= elapsed < faster_than_real(100)


def test_a_scheduled_call_brought_forward_runs_at_once_and_one_not_picked_keeps_its_time():
    scheduler = ScaledScheduler(TimeControl.real())
    scheduler.start()
    try:
        moved, kept, cancelled = threading.Event(), threading.Event(), threading.Event()
        moved_future = scheduler.call_later(moved.set, delay=3600)
        kept_future = scheduler.call_later(kept.set, delay=3600)
        cancelled_future = scheduler.call_later(cancelled.set, delay=3600)

        async def a_wake_up() -> None:  # a coroutine keeps the SDK's own sleep: no timer to advance
            moved.clear()

        assert scheduler.pending(lambda future: True) == 3
        woken_future = scheduler.call_later(a_wake_up, delay=3600)
        assert scheduler.pending(lambda future: True) == 3
        picked = {moved_future, cancelled_future, woken_future}.__contains__
        assert scheduler.pending(picked) == 2
        cancelled_future.cancel()
        wait_until(lambda: scheduler.pending(picked) == 1, what="the cancelled call forgotten")

        assert scheduler.advance(1800, picked) == 0  # half an hour of the hour: not due yet
        assert not moved.wait(0.05)
        assert scheduler.advance(1800, picked) == 1
        moved_future.result(timeout=DEADLINE)
    finally:
        scheduler.stop()
    assert moved.is_set() and not kept.is_set() and not cancelled.is_set()
    assert not kept_future.done() or kept_future.cancelled()  # still waiting its hour when the scheduler stopped


def test_a_call_scheduled_after_the_scheduler_stopped_is_dropped_not_left_unawaited(recwarn):
    scheduler = ScaledScheduler(TimeControl.real())
    scheduler.start()
    scheduler.stop()
    ran = threading.Event()

    dropped = scheduler.call_later(ran.set, delay=0)

    assert dropped.cancelled() and not ran.is_set()
    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_a_pending_durable_callback_timeout_fires_when_time_is_advanced_past_it_and_not_before(tmp_path):
    """A callback with a one-hour timeout (3.6 s here): half of it advanced leaves the execution waiting, the other
    half times the callback out at once. The execution's own timeout (two hours) is moved too and is not due."""
    from aws_durable_execution_sdk_python.config import Duration, WaitForCallbackConfig
    from aws_durable_execution_sdk_python.context import DurableContext
    from aws_durable_execution_sdk_python.execution import durable_execution

    from duoflow.runtime.durable_host import DurableFunction, DurableHost

    @durable_execution
    def ask_nobody(_event: dict, context: DurableContext) -> str:
        config = WaitForCallbackConfig(timeout=Duration.from_hours(1))
        try:
            context.wait_for_callback(lambda _callback_id, _ctx: None, name="nobody answers", config=config)
        except Exception as error:  # the SDK raises its callback error when the timeout fires
            return f"timed out: {type(error).__name__}"
        return "answered"

    host = DurableHost(tmp_path / "store.sqlite3", TimeControl.scaled(SCALE), "us-east-1", "123456789012")
    try:
        host.register(DurableFunction("ask-nobody", ask_nobody, execution_timeout_seconds=7200))
        assert host.pending_timeouts() == 0
        arn, _ = host.start("ask-nobody", "{}")
        wait_until(lambda: host.pending_timeouts() == 2, what="the execution and callback timeouts armed")
        began = time.monotonic()

        assert host.advance_timeouts(1800) == 0
        time.sleep(0.05)  # what a wrongly due timeout would need to end the execution
        assert not host.store.load(arn).is_complete
        assert host.advance_timeouts(1800) == 1
        execution = host.wait(arn, timeout=DEADLINE)
    finally:
        host.close()
    assert execution.result.result.startswith('"timed out'), execution.result
    assert time.monotonic() - began < 3600 * SCALE  # it did not wait out its 3.6 s


# --- modelled time in durable histories ----------------------------------------------------------------------------


def test_a_durable_minute_is_a_minute_in_the_history_and_milliseconds_in_real_time(runtime, lam):
    began = time.monotonic()
    arn = start_durable(lam, "sum-then-ask", {"values": [1]})

    done = wait_durable_done(lam, arn)

    real = time.monotonic() - began
    assert done["Status"] == "SUCCEEDED"
    events = durable_history(lam, arn)
    (started,) = [e for e in events if e["EventType"] == "WaitStarted" and e["Name"] == "a minute"]
    (succeeded,) = [e for e in events if e["EventType"] == "WaitSucceeded" and e["Name"] == "a minute"]
    modelled = (succeeded["EventTimestamp"] - started["EventTimestamp"]).total_seconds()
    # To the millisecond: the two timestamps come from two reads of the modelled clock (the wait's end is
    # computed from one, the WaitStarted event stamped at the other), a fraction of a millisecond apart.
    assert modelled >= 60 - 0.001
    assert real < faster_than_real(60), "the modelled minute should take ~60 ms of real time"
    assert (done["EndTimestamp"] - done["StartTimestamp"]).total_seconds() >= 60


def test_moto_waits_retries_and_timeouts_all_run_scaled(sfn):
    """Behavioural guard for the three moto hooks together: 120 + 60 + 300 modelled seconds in under 2 s."""
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 120, "Next": "Retry"},
            "Retry": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "double", "Payload": {"explode": True}},
                "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 60, "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": None, "Next": "Timeout"}],
                "End": True,
            },
            "Timeout": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 300,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Succeed"},
        },
    }

    description, _, elapsed = run_state_machine(sfn, definition, {})

    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert 480 * SCALE * 0.9 <= elapsed < faster_than_real(480)


def test_a_pending_task_timeout_fires_when_time_is_advanced_past_it_and_not_before(runtime, sfn):
    """TimeoutSeconds 3600 (3.6 s here): half of it advanced leaves the task waiting, the other half times it out at
    once; a timeout that starts later keeps its whole time."""
    definition = {
        "StartAt": "Wait For Answer",
        "States": {
            "Wait For Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Timed Out"}],
                "End": True,
            },
            "Timed Out": {"Type": "Succeed"},
        },
    }
    execution = sfn.start_execution(stateMachineArn=create_state_machine(sfn, definition))["executionArn"]
    wait_until(lambda: "TaskSubmitted" in event_types(sfn_history(sfn, execution)), what="the task waiting")
    began = time.monotonic()

    assert runtime.advance_timeouts(1800) == 0
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    assert runtime.advance_timeouts(1800) == 1
    ended = wait_sfn_done(sfn, execution)

    assert ended["status"] == "SUCCEEDED"
    assert "TaskTimedOut" in event_types(sfn_history(sfn, execution))
    assert time.monotonic() - began < 3600 * SCALE  # it did not wait out its 3.6 s
    with pytest.raises(ValueError, match="only moves forward"):
        runtime.advance_timeouts(-1)
    assert runtime.advance_timeouts(3600) == 0  # nothing is pending now


class _CountingClock:
    """Stands in for the ``time`` module inside time_control.py and counts its clock reads: a timeout wait reads the
    clock each time it wakes and finds its task still running."""

    def __init__(self) -> None:
        self.reads = 0

    def monotonic(self) -> float:
        self.reads += 1
        return time.monotonic()

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_a_tasks_end_wakes_its_own_timeout_wait_and_no_other(monkeypatch):
    """In a burst thousands of Task states wait on their timeouts at once. Each task's end must wake its own wait
    only: were the others woken, each would read the clock, find its task running and sleep again (one wake per
    wait per task's end). ``advance`` still reaches every wait."""
    clock = _CountingClock()
    monkeypatch.setattr(time_control, "time", clock)
    timeouts = TaskTimeouts()
    ended = [threading.Event() for _ in range(50)]
    on_time: dict[int, bool] = {}

    def wait(task: int) -> None:
        on_time[task] = timeouts.wait(ended[task], 3600)

    waits = [threading.Thread(target=wait, args=(task,)) for task in range(len(ended))]
    for thread in waits:
        thread.start()
    wait_until(lambda: timeouts.pending == len(ended), what="every task waiting")  # each has read the clock
    clock.reads = 0

    for task in range(len(ended) - 1):
        ended[task].set()
        timeouts.task_ended(ended[task])
        waits[task].join(DEADLINE)
    assert clock.reads == 0  # no wait woke but the ended task's own, which did not need the clock
    assert all(on_time[task] for task in range(len(ended) - 1))

    assert timeouts.advance(3600) == 1
    waits[-1].join(DEADLINE)
    assert on_time[len(ended) - 1] is False  # timed out
    assert timeouts.pending == 0


# --- guards on moto's internals ----------------------------------------------------------------------------------


def test_moto_timeout_hook_is_in_place(runtime):
    from moto.stepfunctions.parser.asl.component.common.timeouts import timeout

    assert timeout.Timeout._eval_body.__name__ == "scaled_timeout_eval_body", "Timeout._eval_body is not hooked"
    overriding = [cls.__name__ for cls in all_subclasses(timeout.Timeout) if "_eval_body" in vars(cls)]
    assert overriding == [], f"moto Timeout subclasses override _eval_body, bypassing the hook: {overriding}"
    assert timeout.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS == 99999999
    # What the hook replaces: the body pushes _eval_seconds() onto the stack, which ExecutionState waits on.
    assert "seconds = self._eval_seconds(env=env)\n        env.stack.append(seconds)" in source_of(timeout.Timeout)
    execute_state = importlib.import_module("moto.stepfunctions.parser.asl.component.state.exec.execute_state")
    assert "terminated_event.wait(timeout_seconds)" in source_of(execute_state)
    # The event that wait is on comes from the module's `threading`, which the runtime's stand-in replaces.
    assert "terminated_event = threading.Event()" in source_of(execute_state)
    assert execute_state.threading.Event.__name__ == "_TaskEnded", "execute_state's threading is not hooked"
    assert [line.strip() for line in source_of(execute_state).splitlines() if "threading." in line] == [
        "terminated_event = threading.Event()"
    ], "execute_state uses more of threading than Event: the stand-in must give it too"


def test_moto_wait_hook_is_in_place(runtime):
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (  # noqa: F401 (subclasses)
        seconds,
        seconds_path,
        timestamp,
        wait_function,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    wait = wait_function.WaitFunction
    assert wait._wait_interval.__name__ == "scaled_wait_interval", "WaitFunction._wait_interval is not hooked"
    assert "self._wait_interval(env=env, wait_seconds=w_sec)" in inspect.getsource(wait._eval_body)
    subclasses = all_subclasses(wait)
    assert {"Seconds", "SecondsPath", "Timestamp"} <= {cls.__name__ for cls in subclasses}
    overriding = [cls.__name__ for cls in subclasses if {"_wait_interval", "_eval_body"} & set(vars(cls))]
    assert overriding == [], f"moto WaitFunction subclasses bypass the hooked _wait_interval: {overriding}"
    # The hook waits on these.
    assert callable(Environment.is_running)
    assert "self.program_state_event = threading.Event()" in source_of(Environment)


def test_moto_retry_hook_is_in_place(runtime):
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    assert retrier_decl.time is not time, "retrier_decl.time is not hooked"
    assert callable(retrier_decl.time.sleep)
    # The stand-in only has sleep(): the retrier must use nothing else from the time module.
    used = set(re.findall(r"\btime\.(\w+)", source_of(retrier_decl)))
    assert used == {"sleep"}, f"moto's retrier uses time.{sorted(used)}; the hook only provides sleep"
    assert re.search(r"^import time$", source_of(retrier_decl), re.MULTILINE)


def test_moto_lambda_invoke_hook_is_in_place(runtime):
    from moto.awslambda import responses, utils
    from moto.awslambda_simple.models import LambdaSimpleBackend

    assert LambdaSimpleBackend.invoke.__name__ == "invoke"
    assert LambdaSimpleBackend.invoke.__module__ == "duoflow.runtime.patches.moto_lambda"
    assert (
        "self.backend.invoke(\n            function_name, qualifier, self.body, self.headers, response_headers\n        )"
        in (source_of(responses.LambdaResponse.invoke))
    )
    assert "lambda_simple_backends" in source_of(utils.get_backend)


def test_moto_send_task_failure_fix_is_in_place(runtime):
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    # SendTask* requests are answered in one layer, moto's request handler; its backend methods stay moto's own.
    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat"):
        assert getattr(StepFunctionResponse, name).__module__ == "duoflow.runtime.patches.moto_stepfunctions", name
        assert getattr(StepFunctionsParserBackend, name).__module__ == "moto.stepfunctions.parser.models", name
    # moto's handlers read the parameters the replacements read; its SendTaskFailure drops `cause` (the fix).
    stock = source_of(importlib.import_module("moto.stepfunctions.responses"))
    for parameter in ("taskToken", "error", "output"):
        assert f'self._get_param("{parameter}")' in stock, parameter
    assert "send_task_failure(task_token, error=error)" in stock, "moto passes `cause` on now: the fix may go"


# --- guards on the durable testing SDK's internals ----------------------------------------------------------------


def test_durable_scheduler_hook_matches_the_sdk(runtime):
    from aws_durable_execution_sdk_python_testing.scheduler import Scheduler

    expected = ["self", "func", "delay", "count", "completion_event"]
    assert list(inspect.signature(Scheduler.call_later).parameters) == expected
    assert list(inspect.signature(ScaledScheduler.call_later).parameters) == expected
    assert isinstance(runtime.durable._scheduler, ScaledScheduler)
    # Every durable timer goes through the scheduler: waits, callback timeouts, execution timeouts.
    executor_source = source_of(importlib.import_module("aws_durable_execution_sdk_python_testing.executor"))
    for needle in (
        "delay=callback_options.timeout_seconds",
        "delay=timeout_seconds",
        "delay = self._clock.arm(earliest)",
        "delay=self.RETRY_BACKOFF_SECONDS",  # DurableHost scales it as a wait
        # DurableHost.advance_timeouts tells the timeouts from the other delayed calls by these three maps.
        "self._execution_timeouts[arn] = self._scheduler.call_later(",
        "self._callback_timeouts[callback_id] = timeout_future",
        "self._callback_heartbeats[callback_id] = heartbeat_future",
        # ScaledScheduler gives an advanceable timer to plain functions only: the timeouts are plain functions, the
        # wake-ups of waits and retries and the invocations coroutines (left to the SDK's own timing).
        "def timeout_handler():",
        "def heartbeat_timeout_handler():",
        "async def fire_due() -> None:",
        "async def invoke() -> None:",
    ):
        assert needle in executor_source, f"the durable executor no longer schedules with {needle!r}"


def test_a_parallel_of_waits_is_not_held_by_the_invocation_retry_backoff_when_timeouts_run_slower(tmp_path):
    """The durable SDK's example parallel_with_wait: the branches' waits fall due while the invocation that armed them
    still runs, it returns PENDING with nothing pending, and the executor re-invokes after its retry backoff
    (testing SDK: 5 s, ``Executor.RETRY_BACKOFF_SECONDS``). That backoff is a retry delay and runs at the wait
    scale: with waits ×0.001 and timeouts in real time (the conformance tier) it took 5 real seconds."""
    from aws_durable_execution_sdk_python.config import Duration
    from aws_durable_execution_sdk_python.context import DurableContext
    from aws_durable_execution_sdk_python.execution import durable_execution
    from aws_durable_execution_sdk_python_testing.executor import Executor

    from duoflow.runtime.durable_host import DurableFunction, DurableHost

    @durable_execution
    def parallel_waits(_event: dict, context: DurableContext) -> str:
        waits = [lambda ctx, s=s: ctx.wait(Duration.from_seconds(s), name=f"wait {s} s") for s in (1, 2, 5)]
        context.parallel(waits, name="waits").get_results()
        return "done"

    assert Executor.RETRY_BACKOFF_SECONDS == 5
    host = DurableHost(tmp_path / "store.sqlite3", TimeControl.scaled(0.001, timeouts=1.0), "us-east-1", "123456789012")
    try:
        host.register(DurableFunction("parallel-waits", parallel_waits, execution_timeout_seconds=600))
        arn, _ = host.start("parallel-waits", "{}")
        began = time.monotonic()
        execution = host.wait(arn, timeout=30)
        took = time.monotonic() - began
    finally:
        host.close()
    assert execution.result.result == '"done"', execution.result
    assert took < Executor.RETRY_BACKOFF_SECONDS / 2, f"{took:.1f} s: the re-invoke waited the backoff in real time"


def test_durable_clock_hook_matches_the_sdk(runtime):
    from aws_durable_execution_sdk_python_testing import clock
    from aws_durable_execution_sdk_python_testing.checkpoint.processor import CheckpointProcessor
    from aws_durable_execution_sdk_python_testing.executor import Executor

    for method in ("now", "arm"):
        assert method in vars(clock.Clock), f"Clock protocol has no {method}()"
        assert list(inspect.signature(getattr(ModelledClock, method)).parameters) == list(
            inspect.signature(getattr(clock.Clock, method)).parameters
        )
    assert "clock" in inspect.signature(Executor.__init__).parameters
    assert "clock" in inspect.signature(CheckpointProcessor.__init__).parameters
    assert isinstance(runtime.durable.executor._clock, ModelledClock)


# --- pinned versions ---------------------------------------------------------------------------------------------


def test_check_versions_passes_on_the_installed_versions():
    pins.check_versions()


def test_check_versions_refuses_another_version(monkeypatch):
    real_version = pins.version
    monkeypatch.setattr(pins, "version", lambda name: "9.9.9" if name == "moto" else real_version(name))

    with pytest.raises(pins.UnsupportedLibraryVersion, match=r"moto 9\.9\.9 \(needs 5\.2\.5\)"):
        pins.check_versions()


@pytest.mark.parametrize("library", sorted(pins.PINNED))
def test_each_pinned_library_is_checked(monkeypatch, library):
    real_version = pins.version
    monkeypatch.setattr(pins, "version", lambda name: "0.0.1" if name == library else real_version(name))

    with pytest.raises(pins.UnsupportedLibraryVersion, match=re.escape(f"{library} 0.0.1")):
        pins.check_versions()


def test_the_pins_match_the_project_dependencies():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {}
    for requirement in dependencies:
        name, _, pinned = requirement.partition("==")
        declared[re.sub(r"\[.*\]", "", name).strip()] = pinned.strip()
    assert {name: declared.get(name) for name in pins.PINNED} == pins.PINNED


def test_timeouts_can_run_slower_than_waits():
    control = TimeControl.scaled(0.001, timeouts=0.01)
    assert control.real_seconds(3600) == pytest.approx(3.6)
    assert control.real_timeout_seconds(1800) == pytest.approx(18)
    assert TimeControl.scaled(0.001).real_timeout_seconds(1800) == pytest.approx(1.8)  # default: same scale
    with pytest.raises(ValueError, match="timeout scale"):
        TimeControl.scaled(0.001, timeouts=0)


def test_a_durable_wait_runs_at_the_wait_scale_when_timeouts_are_slower():
    """The scheduler scales every delay by the timeout scale; the clock hands it waits pre-divided."""
    control = TimeControl.scaled(0.001, timeouts=0.01)
    clock = ModelledClock(control)
    wake = clock.now() + datetime.timedelta(seconds=60)
    scheduled = clock.arm(wake)
    assert control.real_timeout_seconds(scheduled) == pytest.approx(60 * 0.001, rel=0.05)
    assert clock.now() >= wake - datetime.timedelta(seconds=1)  # the clock jumped to (almost) the wake time
