"""Kill points for the reliability tests: the process kills itself (SIGKILL) at a chosen step of its work.

    DUOFLOW_CRASH_AFTER=state:3        right after the 3rd Step Functions state entered is journaled
    DUOFLOW_CRASH_AFTER=checkpoint:5   right after the 5th save of a durable execution (a checkpoint, an invocation)
    DUOFLOW_CRASH_AFTER=write:40       right after the 40th write to the runtime's journal

Counted from the start of the process, across every execution. Unset (the default), nothing here does anything
but add one to a counter. tests/reliability/ starts ``duoflow serve`` with it and restarts the server on the same
state directory after each kill.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

SETTING = "DUOFLOW_CRASH_AFTER"
KINDS = ("state", "checkpoint", "write")

_lock = threading.Lock()
_counts = dict.fromkeys(KINDS, 0)


def _target() -> tuple[str, int] | None:
    value = os.environ.get(SETTING, "").strip()
    if not value:
        return None
    kind, _, number = value.partition(":")
    if kind not in KINDS or not number.isdigit():
        raise ValueError(f"{SETTING} must be <{'|'.join(KINDS)}>:<n>, got {value!r}")
    return kind, int(number)


_TARGET = _target()


def read_setting() -> None:
    """Read the setting again: for a process forked, with its own environment, after this module was imported."""
    global _TARGET
    with _lock:
        _TARGET = _target()


def passed(kind: str) -> None:
    """One more step of ``kind`` is on disk: die here if this is the chosen one."""
    with _lock:
        _counts[kind] += 1
        if _TARGET is not None and _TARGET == (kind, _counts[kind]):
            print(f"duoflow: killed at {kind} {_counts[kind]} ({SETTING})", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


def counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)
