"""Where the command line prints, and how it stops: results on stdout (``out``); progress, notes and errors on
stderr (``err``); SIGTERM taken as Ctrl-C, so every command unwinds the same way whichever one stops it."""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn

from rich.console import Console

# A results table is read in full: when stdout is a file or a pipe, don't squeeze it into 80 columns.
out = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 180)


AGAIN_AFTER_SECONDS = 0.01  # far longer than the hook takes to return


class _Stop:
    """Where ``interrupt`` stands: ``asked`` once a SIGTERM has been taken as Ctrl-C; ``dropped`` when the
    KeyboardInterrupt it raised was dropped by a finalizer and must be raised again."""

    asked = False
    dropped = False


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM → KeyboardInterrupt, once: the command unwinds as on Ctrl-C (the runtime stops, its throwaway
    state directory is removed); a second SIGTERM while it unwinds is ignored (kill -9 still ends it)."""
    if _Stop.asked and not _Stop.dropped:
        return
    _Stop.asked, _Stop.dropped = True, False
    raise KeyboardInterrupt


def sigterm_as_ctrl_c() -> Callable[[], None]:
    """Take SIGTERM as Ctrl-C (``interrupt``) in this process until the returned function puts back what was there.

    Also catches a stop that would be lost. Python runs a signal's handler wherever the main thread is, and when that
    is a finalizer (a ``__del__`` the garbage collector called: werkzeug's ``EnvironBuilder`` has one), the
    KeyboardInterrupt the handler raises is printed as "Exception ignored in ..." and dropped: the command ran on
    to its end after a SIGTERM (``duoflow demo`` did, in the suite). A dropped KeyboardInterrupt now reaches
    ``sys.unraisablehook``, which has another thread send the signal to the main thread again a moment later: once
    the finalizer and the hook have returned (a handler that ran in the hook would be dropped too), and again should
    it land in another finalizer."""
    _Stop.asked = _Stop.dropped = False
    previous_handler = signal.signal(signal.SIGTERM, interrupt)
    previous_hook = sys.unraisablehook

    def raise_dropped_interrupt_again(unraisable: Any) -> None:
        if not (isinstance(unraisable.exc_value, KeyboardInterrupt) and main_thread()):
            previous_hook(unraisable)
            return
        again = threading.Timer(AGAIN_AFTER_SECONDS, _signal_main_thread_again)
        again.daemon = True
        again.start()

    sys.unraisablehook = raise_dropped_interrupt_again

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous_handler)
        sys.unraisablehook = previous_hook

    return restore


def _signal_main_thread_again() -> None:
    """From another thread: the dropped stop again, as the signal whose handler raises it now (SIGTERM while
    ``interrupt`` is its handler, else Ctrl-C's SIGINT while Python's own handler is). A real signal, not a flag, so a
    main thread asleep in a system call wakes for it."""
    main = threading.main_thread().ident
    if signal.getsignal(signal.SIGTERM) is interrupt:
        _Stop.dropped = True
        signal.pthread_kill(main, signal.SIGTERM)
    elif signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.pthread_kill(main, signal.SIGINT)


def wait_for_signal() -> NoReturn:
    """Block the main thread until a signal's handler raises (Ctrl-C's KeyboardInterrupt, SIGTERM's through
    ``interrupt``).

    Not ``threading.Event().wait()``: the kernel hands a process's signal to any of its threads that does not block
    it, and Python runs the handler only on the main thread, when that thread next runs bytecode. A main thread
    asleep on a lock is woken only by a signal delivered to it, so a Ctrl-C that lands on one of the runtime's
    threads went unheard (``duoflow up`` once did not stop within 30 s). Here the signal's C handler, on whichever
    thread, writes to a wakeup socket the main thread is selecting on; the select returns and the handler runs.
    """
    woken, wakeup = socket.socketpair()
    wakeup.setblocking(False)
    previous = signal.set_wakeup_fd(wakeup.fileno(), warn_on_full_buffer=False)
    try:
        while True:
            select.select([woken], [], [])
            woken.recv(4096)  # the signal numbers; the handler itself runs as this thread returns to bytecode
    finally:
        signal.set_wakeup_fd(previous)
        woken.close()
        wakeup.close()


class RuntimeStopped(SystemExit):
    """How ``serve`` and ``up`` end once their local runtime has stopped: the process then ends at once
    (``end_process``). An exit, not a flag, so a command run in process (typer's CliRunner) leaves nothing behind."""


def exit_code(done: SystemExit) -> int:
    """The code a process ends with on ``done``, as the interpreter reads it (a message: 1)."""
    return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)


def end_process(done: SystemExit) -> NoReturn:
    """End the ``duoflow`` process on ``done``. After a local runtime stopped, at once: a handler still running
    after the runtime's drain time is cut, as after a kill, and runs again on the next start
    (duoflow/runtime/README.md, "Restarts"), where the interpreter's own exit would wait for its thread (a thread
    pool's, or any non-daemon one) for as long as the handler takes: a retry's backoff in real time, a model that
    does not answer."""
    if not isinstance(done, RuntimeStopped):
        raise done
    if isinstance(done.code, str):
        print(done.code, file=sys.stderr)
    logging.shutdown()  # the function log file's handler flushes
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code(done))


def main_thread() -> bool:
    """Signal handlers can be set on the main thread only (a test may run a command on another)."""
    return threading.current_thread() is threading.main_thread()
