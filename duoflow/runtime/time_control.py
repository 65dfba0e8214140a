"""One switch for time on the local runtime: real, or scaled down so that a 30-minute timeout takes 1.8 s.

Every modelled duration — a Step Functions Wait state, a Retry interval, a Task's TimeoutSeconds, a durable
``context.wait``, a step retry delay, a callback timeout, a durable execution timeout — takes
``modelled seconds × scale`` of real time. ``scale=1`` is real time; tests and the demo run at a small scale.

Durable histories keep modelled time for waits and retries: the durable clock advances by the part of each
wait that was skipped, so a one-hour ``context.wait`` shows as one hour in ``get_durable_execution_history``.
Timeouts (callback, execution) fire after the scaled time and their events carry the clock as it is then;
Step Functions history timestamps are moto's wall clock (see ``duoflow/runtime/README.md``).

The durable testing SDK 1.4.0 takes the scaled clock and scheduler below (subclasses, handed to its executor by
duoflow/runtime/durable_host.py); moto 5.2.5's ASL timers are patched in duoflow/runtime/patches/moto_stepfunctions.py.
``tests/runtime/test_time_control.py`` fails if a new version of either moves what they rely on.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python_testing.clock import real_now
from aws_durable_execution_sdk_python_testing.scheduler import Scheduler


@dataclass(frozen=True)
class TimeControl:
    """How fast modelled time runs: ``real_seconds = modelled_seconds * scale``.

    ``timeout_scale`` (default: ``scale``) lets timeouts run slower than waits. Work is not scaled: at 1/1000 a
    loaded machine's second of real work is 1,000 modelled seconds, and a 30-minute timeout (1.8 s real) can
    fire before the work it guards is done. Demos and load tests keep waits and simulated delays at 1/1000 and
    timeouts at 1/100; tests of the timeouts themselves scale both alike.
    """

    scale: float = 1.0
    timeout_scale: float | None = None

    def __post_init__(self) -> None:
        for name, value in (("time scale", self.scale), ("timeout scale", self.timeouts)):
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {value}")

    @classmethod
    def real(cls) -> TimeControl:
        return cls(1.0)

    @classmethod
    def scaled(cls, scale: float, timeouts: float | None = None) -> TimeControl:
        return cls(scale, timeouts)

    @property
    def timeouts(self) -> float:
        return self.scale if self.timeout_scale is None else self.timeout_scale

    def real_seconds(self, modelled_seconds: float) -> float:
        """Waits, retry intervals, simulated delays."""
        return max(modelled_seconds, 0) * self.scale

    def real_timeout_seconds(self, modelled_seconds: float) -> float:
        """Timeouts and heartbeats."""
        return max(modelled_seconds, 0) * self.timeouts

    def sleep(self, modelled_seconds: float) -> None:
        time.sleep(self.real_seconds(modelled_seconds))


class ModelledClock:
    """Durable clock (``aws_durable_execution_sdk_python_testing.clock.Clock``) that runs at ``scale``.

    The SDK arms waits and retry delays through ``arm`` and timeouts straight through the scheduler, which
    scales every delay by ``timeouts``; ``arm`` therefore returns ``gap × scale / timeouts`` so that a wait
    lasts ``gap × scale`` real seconds. It adds the skipped part of the gap to the clock, so when the timer
    fires ``now()`` equals the modelled wake time.
    """

    def __init__(self, time_control: TimeControl, on_skip: Any = None) -> None:
        self._scale = time_control.scale
        self._to_scheduler = time_control.scale / time_control.timeouts
        self._skipped = datetime.timedelta(0)
        self._lock = threading.Lock()
        self._on_skip = on_skip  # told the seconds skipped so far, each time they grow (a restart carries on)

    def skip_to(self, skipped_seconds: float) -> None:
        with self._lock:
            self._skipped = max(self._skipped, datetime.timedelta(seconds=skipped_seconds))

    def now(self) -> datetime.datetime:
        with self._lock:
            return real_now() + self._skipped

    def arm(self, wake: datetime.datetime) -> float:
        with self._lock:
            gap = (wake - (real_now() + self._skipped)).total_seconds()
            if gap <= 0:
                return 0.0
            self._skipped += datetime.timedelta(seconds=gap * (1 - self._scale))
            if self._on_skip is not None:
                self._on_skip(self._skipped.total_seconds())
            return gap * self._to_scheduler


class ScaledScheduler(Scheduler):
    """The durable testing SDK's scheduler with every delay scaled by the timeout scale (waits arrive already
    adjusted by :class:`ModelledClock`), and each delayed plain function's timer one that ``advance`` can bring
    forward: the SDK arms its timeouts (execution, callback, heartbeat) as plain functions, its wake-ups and
    invocations as coroutines (tests/runtime/test_time_control.py guards both).

    The SDK's own ``call_later`` sleeps ``delay`` with ``asyncio.sleep``, which nothing can shorten. Here a delayed
    plain function is handed to it with no delay, wrapped in a wait on a :class:`_Timer`; the SDK still runs it on its
    loop, reports its error to ``completion_event`` and cancels it through the future it returns."""

    def __init__(self, time_control: TimeControl) -> None:
        super().__init__()
        self._time_control = time_control
        self._timers: dict[Future, _Timer] = {}
        self._timers_lock = threading.Lock()

    def call_later(self, func: Any, delay: float = 0, count: int | None = 1, completion_event: Any = None):
        if not self.is_started():
            # Stopping or stopped (a runtime closing while an invocation still ends): the call would never run,
            # and the SDK's coroutine for it would be dropped unawaited ("coroutine ... was never awaited").
            dropped: Future = Future()
            dropped.cancel()
            return dropped
        real_delay = self._time_control.real_timeout_seconds(delay)
        if count != 1 or real_delay <= 0 or inspect.iscoroutinefunction(func):
            # As the SDK does: a repeating call (it makes none), one due now, and its coroutines (the wake-ups of
            # waits and retries, invocations): those are never advanced, and keep the SDK's own timing.
            return super().call_later(func, delay=real_delay, count=count, completion_event=completion_event)
        timer = _Timer(time.monotonic() + real_delay)

        async def when_due() -> Any:
            await timer.elapsed()
            return await asyncio.to_thread(func)  # a plain function runs off the loop, as the SDK runs it

        future = super().call_later(when_due, delay=0, completion_event=completion_event)
        with self._timers_lock:
            self._timers[future] = timer
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future) -> None:
        with self._timers_lock:
            self._timers.pop(future, None)

    def pending(self, which: Callable[[Future], bool]) -> int:
        """How many delayed calls ``which`` picks (by the future ``call_later`` returned) are still waiting."""
        with self._timers_lock:
            return sum(1 for future in self._timers if which(future))

    def advance(self, modelled_seconds: float, which: Callable[[Future], bool]) -> int:
        """Bring the delayed calls ``which`` picks forward by ``modelled_seconds`` (the unit of ``call_later``'s
        delays: timeout seconds); returns how many are now due (they run at once)."""
        real_seconds = self._time_control.real_timeout_seconds(modelled_seconds)
        with self._timers_lock:
            picked = [timer for future, timer in self._timers.items() if which(future)]
        now = time.monotonic()
        return sum(1 for timer in picked if timer.bring_forward(real_seconds, now))

    def advance_timeouts(self, modelled_seconds: float, executor: Any) -> int:
        """Bring ``executor``'s pending execution, callback and heartbeat timeouts forward by ``modelled_seconds``;
        returns how many are now due. Waits and retry delays keep their time."""
        return self.advance(modelled_seconds, timeouts_of(executor))

    def pending_timeouts(self, executor: Any) -> int:
        """How many of ``executor``'s execution, callback and heartbeat timeouts are pending."""
        return self.pending(timeouts_of(executor))


def timeouts_of(executor: Any) -> Callable[[Future], bool]:
    """Which of the scheduler's delayed calls are the testing SDK executor's timeouts: it keeps each in one of three
    maps (execution, callback, heartbeat; DurableHost.resume puts the ones it re-arms there too;
    tests/runtime/test_time_control.py guards the names)."""
    armed = (executor._execution_timeouts, executor._callback_timeouts, executor._callback_heartbeats)
    return {future for timeouts in armed for future in list(timeouts.values())}.__contains__


class _Timer:
    """A deadline (``time.monotonic()``) that a coroutine on the scheduler's loop waits for, and that another thread
    can move earlier."""

    def __init__(self, due: float) -> None:
        self._lock = threading.Lock()
        self._due = due
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Future | None = None  # what the wait awaits now: resolved at the deadline or when moved

    async def elapsed(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                left = self._due - time.monotonic()
                if left <= 0:
                    return
                self._loop, self._wake = loop, loop.create_future()
                wake = self._wake
            at_deadline = loop.call_later(left, _resolve, wake)
            try:
                await wake
            finally:
                at_deadline.cancel()

    def bring_forward(self, real_seconds: float, now: float) -> bool:
        with self._lock:
            self._due -= real_seconds
            if self._loop is not None and self._wake is not None:
                self._loop.call_soon_threadsafe(_resolve, self._wake)  # the wait looks at the new deadline
            return self._due <= now


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class TaskTimeouts:
    """The Step Functions task timeouts being waited on, which ``advance`` brings forward: a test skips a 30-minute
    manager timeout instead of sleeping through it, even scaled (``LocalRuntime.advance_timeouts``).

    Each task's timeout is a wait for the task's end or its deadline, whichever comes first (moto's
    ``ExecutionState._evaluate_with_timeout``, through duoflow/runtime/patches/moto_stepfunctions.py). ``advance``
    moves every deadline now pending earlier by the same real seconds, and wakes the waits. A deadline brought
    forward is not journaled again: after a restart, a task's timeout waits out what was left of its journaled due
    time (``keep_step_functions.timer_seconds``).

    Every wait has a condition of its own (on one shared lock), so a task's end wakes its own wait only. moto runs
    every Task, Map and Parallel state through such a wait (without TimeoutSeconds, for 99,999,999 s), so in a
    burst thousands wait at once: one condition for all made each task's end wake every one of them, to find its
    own task still running and sleep again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._brought_forward = 0.0  # real seconds, since this runtime started
        self._waits: dict[threading.Event, _TimeoutWait] = {}  # by the event of the task waited for

    def wait(self, ended: threading.Event, real_seconds: float) -> bool:
        """Until ``ended`` is set (True) or the timeout runs out (False). ``ended.set()`` must call ``task_ended``
        with it. One wait at a time per event (moto waits once on each task's)."""
        with self._lock:
            wait = _TimeoutWait(
                threading.Condition(self._lock), time.monotonic() + real_seconds + self._brought_forward
            )
            self._waits[ended] = wait
            try:
                while not ended.is_set():
                    left = wait.deadline - self._brought_forward - time.monotonic()
                    if left <= 0:
                        return False
                    wait.woken.wait(left)
                return True
            finally:
                del self._waits[ended]

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waits)

    def task_ended(self, ended: threading.Event) -> None:
        with self._lock:
            wait = self._waits.get(ended)
            if wait is not None:
                wait.woken.notify()

    def advance(self, real_seconds: float) -> int:
        """Bring every timeout now pending forward by ``real_seconds``; returns how many are now due."""
        with self._lock:
            self._brought_forward += real_seconds
            now = time.monotonic()
            due = sum(1 for wait in self._waits.values() if wait.deadline - self._brought_forward <= now)
            for wait in self._waits.values():
                wait.woken.notify()
            return due


@dataclass
class _TimeoutWait:
    woken: threading.Condition  # notified when its task ends or the deadlines move
    deadline: float  # time.monotonic(), as if nothing was advanced
