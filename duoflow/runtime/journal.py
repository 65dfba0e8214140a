"""The runtime's own durable memory: one SQLite file in the state directory, written before anything is acknowledged.

moto keeps DynamoDB, S3 and Step Functions in memory; the durable testing SDK keeps its executions in its own SQLite
file. What the runtime must not forget when its process ends (Step Functions executions with their history, task
tokens and checkpoints, DynamoDB items and S3 objects, timers' due times, asynchronous invokes not yet run) is
written here, by the module that owns it, each with its own tables (``ensure_schema``).

Crash safety: the file is in WAL mode with ``synchronous=NORMAL``, so every committed write is in the operating
system's hands at once and survives the process being killed (SIGKILL included); ``barrier()`` also forces the log
to the disk (an fsync), for a power cut, and is called before the API acknowledges a request. Writes are ordered:
a write committed before another is never lost while the later one survives.

Every committed write is a crash point (:mod:`crash_points`): the reliability tests kill the process right after
one to check that what was written is enough to carry on.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duoflow.runtime import crash_points

JOURNAL_FILE = "runtime.sqlite3"


class JournalClosed(RuntimeError):
    pass


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / JOURNAL_FILE
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        os.chmod(self.path, 0o600)
        self.is_open = True
        self._also_forced: list[Path] = []

    def ensure_schema(self, ddl: str) -> None:
        with self._lock:
            self._db.executescript(ddl)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: every statement inside commits together, or none does. After ``close()`` (a thread
        of a stopped runtime still finishing) it raises ``JournalClosed``."""
        with self._lock:
            if not self.is_open:
                raise JournalClosed(f"the journal {self.path} is closed")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        crash_points.passed("write")

    def write(self, sql: str, parameters: Sequence[Any] = ()) -> None:
        with self.transaction() as db:
            db.execute(sql, parameters)

    def write_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.transaction() as db:
                db.executemany(sql, rows)

    def read(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            if not self.is_open:
                raise JournalClosed(f"the journal {self.path} is closed")
            return self._db.execute(sql, parameters).fetchall()

    def also_force(self, database: Path) -> None:
        """Another SQLite file in WAL mode (the durable executions' store) that ``barrier()`` forces too."""
        self._also_forced.append(Path(database))

    def barrier(self) -> None:
        """Force every committed write to the disk (an fsync of each write-ahead log)."""
        with self._lock:
            if not self.is_open:
                return
            for database in (self.path, *self._also_forced):
                wal = Path(f"{database}-wal")
                if wal.exists():
                    descriptor = os.open(wal, os.O_RDONLY)
                    try:
                        os.fsync(descriptor)
                    finally:
                        os.close(descriptor)

    def close(self) -> None:
        with self._lock:
            if not self.is_open:
                return
            self.is_open = False
            try:
                if self._db.in_transaction:
                    self._db.rollback()  # never committed, so never acknowledged
                # A read a signal interrupted (Ctrl-C, SIGTERM) can leave its statement active: the checkpoint then
                # cannot finish, and would wait out the connection's busy timeout (5 s) before giving up. It is only
                # tidying: every committed write is in the write-ahead log, which SQLite replays when the journal is
                # opened again. So it is tried once, without waiting.
                self._db.execute("PRAGMA busy_timeout = 0")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError:
                pass  # the same active statement can also make the checkpoint fail outright ("table is locked")
            finally:
                self._db.close()
