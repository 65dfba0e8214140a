"""Where a run's CPU goes: the AWS calls' own work, the Lambda handlers' own work, and the rest.

While a measurement is open, every botocore API call made in this process (the runtime's own clients and the
functions' alike: all of them are botocore clients answered in-process by moto and the runtime) is timed in the CPU
time of the thread that makes it, less what runs inside it that is not the call's own: a call made within it, and a
plain Lambda function's handler (Invoke runs it in the caller's thread, ``LambdaHost._run_plain``). What a call keeps
is botocore's client side, moto's emulation of the service and the runtime's work under the call (its journal
writes, stream records). A handler keeps its own code and Powertools, less its calls. The rest is the process's CPU
less both: the Step Functions interpreter, the durable SDK and its executor (a durable function's steps, application
code included, run there), the journal and keepers outside calls, the runtime's threads, the benchmark's watcher.

Thread CPU time (``time.thread_time``), so a call that waits (for the GIL, for a lock, for another thread) is not
charged for the wait; the process's CPU (``time.process_time``) includes SQLite's and the kernel's work on behalf of
every thread. The hooks cost a few microseconds a call (two clock reads and a closure), ~0.1 ms of a run's 150-300:
the happy path's p50 with and without them is the same within this machine's noise. botocore's
``BaseClient._make_api_call`` is the method every client call goes through: tests/unit/test_cpu_split.py fails if a
call stops being seen there.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CpuSplit:
    """CPU seconds measured while the split was open, by part; ``calls`` counts the calls by ``service.Operation``."""

    process: float = 0.0
    handlers_cpu: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    cpu_by_call: Counter[str] = field(default_factory=Counter)

    @property
    def calls_cpu(self) -> float:
        return sum(self.cpu_by_call.values())

    def per_run(self, runs: int) -> dict[str, Any]:
        """The split of one run, in milliseconds, for bench.json."""
        rest = self.process - self.calls_cpu - self.handlers_cpu
        return {
            "runs": runs,
            "cpu_ms": _ms(self.process / runs),
            "aws_calls": round(sum(self.calls.values()) / runs, 1),
            "aws_calls_cpu_ms": _ms(self.calls_cpu / runs),
            "handlers_cpu_ms": _ms(self.handlers_cpu / runs),
            "rest_cpu_ms": _ms(rest / runs),
            "by_call": {
                name: {"calls": round(self.calls[name] / runs, 1), "cpu_ms": _ms(self.cpu_by_call[name] / runs)}
                for name in sorted(self.calls, key=lambda name: -self.cpu_by_call[name])
            },
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@contextmanager
def measuring() -> Iterator[CpuSplit]:
    """The split of what this process does until the block ends. Not reentrant; restores what it replaced."""
    from botocore.client import BaseClient

    from duoflow.runtime.lambda_host import LambdaHost

    split = CpuSplit()
    frames = threading.local()  # each thread's open calls and handlers: the CPU spent inside each, not its own
    lock = threading.Lock()

    def own_time_of(part: Callable[[float], None], work: Callable[[], Any]) -> Any:
        inside = frames.__dict__.setdefault("inside", [])
        inside.append(0.0)
        began = time.thread_time()
        try:
            return work()
        finally:
            spent = time.thread_time() - began
            not_its_own = inside.pop()
            if inside:
                inside[-1] += spent  # the enclosing call or handler does not keep this
            with lock:
                part(spent - not_its_own)

    make_api_call = BaseClient._make_api_call
    run_plain = LambdaHost._run_plain

    def timed_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        name = f"{self.meta.service_model.service_name}.{operation_name}"

        def add(seconds: float) -> None:
            split.calls[name] += 1
            split.cpu_by_call[name] += seconds

        return own_time_of(add, lambda: make_api_call(self, operation_name, api_params))

    def timed_handler(self: Any, *args: Any, **kwargs: Any) -> Any:
        def add(seconds: float) -> None:
            split.handlers_cpu += seconds

        return own_time_of(add, lambda: run_plain(self, *args, **kwargs))

    BaseClient._make_api_call = timed_call  # type: ignore[method-assign]
    LambdaHost._run_plain = timed_handler  # type: ignore[method-assign]
    began = time.process_time()
    try:
        yield split
    finally:
        split.process += time.process_time() - began
        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        LambdaHost._run_plain = run_plain  # type: ignore[method-assign]
