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


# Ctrl-C delivered to one of the runtime's threads rather than to the main thread, as the kernel may do: the
# thread waits until the main thread is blocked in its wait, then sends SIGINT to itself.
SIGNAL_ON_ANOTHER_THREAD = """
import signal, sys, threading
from duoflow.terminal import wait_for_signal

# A process started from a non-interactive shell's background job inherits SIGINT ignored; a terminal's has Python's
signal.signal(signal.SIGINT, signal.default_int_handler)
main = threading.main_thread().ident

def main_is_waiting():
    frame = sys._current_frames().get(main)
    return frame is not None and frame.f_code.co_name == "wait_for_signal"

def interrupt_from_here():
    while not main_is_waiting():
        threading.Event().wait(0.01)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    threading.Event().wait(60)  # still alive while the main thread unwinds, as a runtime's thread would be

threading.Thread(target=interrupt_from_here, daemon=True).start()
try:
    wait_for_signal()
except KeyboardInterrupt:
    print("interrupted")
"""


def test_a_ctrl_c_that_lands_on_another_thread_still_stops_the_wait() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", SIGNAL_ON_ANOTHER_THREAD], cwd=ROOT, capture_output=True, text=True, timeout=30
    )  # threading.Event().wait() on the main thread would hang here until the timeout

    assert (ended.returncode, ended.stdout) == (0, "interrupted\n"), ended.stderr


# A SIGTERM whose handler runs while the main thread is in a finalizer (werkzeug's EnvironBuilder.__del__ was, when
# `duoflow demo` ran on to its end after a SIGTERM): the KeyboardInterrupt raised there is dropped by the interpreter.
SIGTERM_IN_A_FINALIZER = """
import signal, time
from duoflow.terminal import sigterm_as_ctrl_c

sigterm_as_ctrl_c()

class Finalized:
    def __del__(self):
        signal.raise_signal(signal.SIGTERM)  # the handler runs here, inside the finalizer

try:
    Finalized()  # dropped at once: its __del__ runs now
    time.sleep(60)  # the command's work, which the SIGTERM must stop
    print("ran to its end")
except KeyboardInterrupt:
    print("interrupted")
"""


def test_a_sigterm_whose_interrupt_a_finalizer_drops_still_stops_the_command() -> None:
    ended = subprocess.run(
        [sys.executable, "-c", SIGTERM_IN_A_FINALIZER], cwd=ROOT, capture_output=True, text=True, timeout=30
    )  # a dropped interrupt: the 60-second work runs on, and this fails by the timeout

    assert (ended.returncode, ended.stdout) == (0, "interrupted\n"), ended.stderr
    assert "Exception ignored" not in ended.stderr  # the interrupt is raised again, not reported as lost
