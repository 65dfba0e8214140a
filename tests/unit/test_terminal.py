"""How the `duoflow` process ends (duoflow/terminal.py, duoflow/cli.py ``run``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from duoflow.terminal import end_process

ROOT = Path(__file__).resolve().parents[2]

# A handler still running when its runtime stopped: a non-daemon thread (a thread pool's workers are) that would
# take a minute; the interpreter's exit would wait for it.
STILL_RUNNING = """
import logging, sys, threading, time
from duoflow.terminal import RuntimeStopped, end_process, out

logging.basicConfig(stream=sys.stderr)
threading.Thread(target=time.sleep, args=(60,), name="lambda-event_0").start()
out.print("stopped; the state is in /somewhere")
logging.getLogger("x").warning("a last line")
end_process(RuntimeStopped(3))
"""


def test_after_its_runtime_stopped_the_process_ends_at_once_with_its_code_and_output() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", STILL_RUNNING], cwd=ROOT, capture_output=True, text=True, timeout=30
    )  # the 60-second handler would fail this by the timeout

    assert ended.returncode == 3
    assert ended.stdout == "stopped; the state is in /somewhere\n"
    assert "a last line" in ended.stderr


def test_without_a_runtime_the_exit_is_the_interpreters_own() -> None:
    with pytest.raises(SystemExit) as raised:
        end_process(SystemExit(2))
    assert raised.value.code == 2
