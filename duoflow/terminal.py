"""Where the command line prints, and how it stops: results on stdout (``out``); progress, notes and errors on
stderr (``err``); SIGTERM taken as Ctrl-C, so every command unwinds the same way whichever one stops it."""

from __future__ import annotations

import signal
import sys
import threading

from rich.console import Console

# A results table is read in full: when stdout is a file or a pipe, don't squeeze it into 80 columns.
out = Console(width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 180)


def interrupt(signum: int, frame: object) -> None:
    """SIGTERM → KeyboardInterrupt, once: the command unwinds as on Ctrl-C (the runtime stops, its throwaway
    state directory is removed); a second SIGTERM while it unwinds is ignored (kill -9 still ends it)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main_thread() -> bool:
    """Signal handlers can be set on the main thread only (a test may run a command on another)."""
    return threading.current_thread() is threading.main_thread()
