"""The durable execution SDK (``pins.PINNED["aws-durable-execution-sdk-python"]``, 3.0.0): two speed-ups, no fix.

Speed-ups (left out with ``DUOFLOW_SPEEDUPS=0``; each changes no behaviour):

* ``_STOP_SIGNAL_POLL_SECONDS`` in ``aws_durable_execution_sdk_python.state``: the SDK ends each invocation by
  waiting up to 0.1 s for its checkpoint thread to notice the stop signal; 10 ms keeps the same protocol with a
  tenth of the idle time.
* the ``copy`` module of ``aws_durable_execution_sdk_python.lambda_service``: ``Operation.from_json_dict``
  deep-copies the data it is given before converting its timestamps; the store reads every execution from JSON it
  has just parsed and keeps no reference to, so inside :func:`freshly_parsed` (the store's reads,
  duoflow/runtime/durable_host.py) the copy is skipped. A loan's executions are read some forty times.

The durable *testing* SDK (``pins.PINNED["aws-durable-execution-sdk-python-testing"]``) is not patched: the runtime
subclasses its store, scheduler and clock (duoflow/runtime/durable_host.py, time_control.py), which is why it is
pinned. Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("aws-durable-execution-sdk-python",)

STOP_SIGNAL_POLL_SECONDS = 0.01

_STOP_SIGNAL_POLL = Target("aws_durable_execution_sdk_python.state", "_STOP_SIGNAL_POLL_SECONDS")
_LAMBDA_SERVICE_COPY = Target("aws_durable_execution_sdk_python.lambda_service", "copy")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (_STOP_SIGNAL_POLL, _LAMBDA_SERVICE_COPY)

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _patcher.replace(_STOP_SIGNAL_POLL, STOP_SIGNAL_POLL_SECONDS)
        _patcher.replace(_LAMBDA_SERVICE_COPY, _CopyUnlessFresh())
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


_fresh = threading.local()


@contextmanager
def freshly_parsed() -> Iterator[None]:
    """Operations built in this block (on this thread) take ownership of the data they are given: it was parsed
    from JSON just now and nobody else holds it, so the SDK's defensive deep copy is skipped (when the speed-up is
    installed; otherwise this changes nothing)."""
    _fresh.active = True
    try:
        yield
    finally:
        _fresh.active = False


class _CopyUnlessFresh:
    """Stands in for the ``copy`` module inside the durable SDK's ``lambda_service``; every other name
    (``copy.copy`` …) is the module's own."""

    def __getattr__(self, name: str) -> Any:
        import copy

        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        import copy

        return value if getattr(_fresh, "active", False) else copy.deepcopy(value, memo)
