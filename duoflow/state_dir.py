"""The state directory `duoflow serve` keeps between runs: created 0700, one server at a time (a lock the kernel
releases when the server ends, even by SIGKILL), emptied by --fresh and `duoflow state clear` — and never a
directory that was not a server's state directory. A refusal is a ``StateDirError`` whose message says what to do."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

DEFAULT_STATE_DIR = Path(".duoflow/state")
# `duoflow serve` holds an exclusive flock on this file while it runs: a second server on the same state, or
# `duoflow state clear`, sees it and refuses. The kernel releases it when the process ends, even by SIGKILL.
LOCK_FILE = "serve.lock"


class StateDirError(Exception):
    """The state directory cannot be used as asked; the message names it and says what to do."""


class StateDirInUse(Exception):
    """Another process holds the state directory's lock; ``holder`` is the pid it wrote there ('' if none)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


def absolute(state_dir: Path) -> Path:
    return Path(os.path.abspath(state_dir.expanduser()))


def refuse_foreign_dir(path: Path) -> None:
    """--fresh and `state clear` delete everything in the directory and serve tightens it to 0700: refuse a
    directory that holds something and was never a server's state directory (a mistyped --state-dir ~)."""
    if path.exists() and not path.is_dir():
        raise StateDirError(f"{path} is not a directory")
    if path.is_dir() and not (path / LOCK_FILE).exists() and any(path.iterdir()):
        raise StateDirError(
            f"{path} is not empty and is not a duoflow state directory (it has no {LOCK_FILE}): give --state-dir a "
            "new or empty directory"
        )


def make_private_dir(path: Path) -> int | None:
    """Create the directory (and its missing parents) 0700; tighten it to 0700 if it is readable by others, and
    return the mode it had then (None when it needed no tightening)."""
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # whatever the umask
    mode = path.stat().st_mode & 0o777
    if not mode & 0o077:
        return None
    path.chmod(0o700)
    return mode


def lock_state_dir(path: Path) -> int:
    """The state directory's lock, held until the returned descriptor is closed (or the process ends)."""
    descriptor = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        os.close(descriptor)
        raise StateDirInUse(holder) from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def _server_on(holder: str) -> str:
    return f"`duoflow serve` (pid {holder})" if holder else "`duoflow serve`"


def _empty(path: Path) -> int:
    """Delete everything in the state directory but its lock (which the caller holds); returns how many entries."""
    removed = 0
    for entry in os.scandir(path):
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
        removed += 1
    return removed


def claim_state_dir(path: Path, fresh: bool, note: Callable[[str], None]) -> int:
    """Make the state directory ready for a server: created 0700, locked (StateDirError if another server holds
    it), emptied first with ``fresh``; what was changed on the way is told to ``note``. Returns the lock's
    descriptor."""
    refuse_foreign_dir(path)
    if (mode := make_private_dir(path)) is not None:
        note(f"note: {path} was readable by others ({mode:04o}); it is 0700 now")
    try:
        lock = lock_state_dir(path)
    except StateDirInUse as in_use:
        raise StateDirError(
            f"another {_server_on(in_use.holder)} is running on the state directory {path}: stop it first, or give "
            "this one another --state-dir"
        ) from None
    if fresh and _empty(path):
        note(f"--fresh: emptied {path}")
    return lock


def clear_state_dir(path: Path, confirm: Callable[[], object]) -> int:
    """Empty a state directory no server runs on (StateDirError while one does), once ``confirm`` returns (it
    raises to decline); returns how many entries were removed."""
    refuse_foreign_dir(path)
    try:
        lock = lock_state_dir(path)  # held while clearing: no server starts on a half-emptied directory
    except StateDirInUse as in_use:
        raise StateDirError(
            f"{_server_on(in_use.holder)} is running on {path}: stop it before clearing its state"
        ) from None
    try:
        confirm()
        return _empty(path)
    finally:
        os.close(lock)
