"""The journal: atomic writes that survive the process being killed, and the kill points the reliability tier uses."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from duoflow.runtime.journal import Journal, JournalClosed

ROOT = Path(__file__).resolve().parents[2]


def test_a_transaction_commits_whole_or_not_at_all(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.ensure_schema("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    with pytest.raises(RuntimeError), journal.transaction() as db:
        db.execute("INSERT INTO t VALUES ('a', '1')")
        raise RuntimeError("half way")
    journal.write_many("INSERT INTO t VALUES (?, ?)", [("b", "2"), ("c", "3")])
    assert journal.read("SELECT k FROM t ORDER BY k") == [("b",), ("c",)]
    journal.barrier()
    journal.close()
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


def test_a_closed_journal_refuses_writes_and_reads(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.close()
    journal.barrier()  # nothing to force: no error
    with pytest.raises(JournalClosed):
        journal.write("SELECT 1")
    with pytest.raises(JournalClosed):
        journal.read("SELECT 1")


KILLED_AT_SECOND_WRITE = """
import sys
from pathlib import Path
from duoflow.runtime.journal import Journal
journal = Journal(Path(sys.argv[1]))
journal.ensure_schema("CREATE TABLE t (n INTEGER)")
for n in range(1, 5):
    journal.write("INSERT INTO t VALUES (?)", (n,))
"""


def test_the_process_dies_at_the_chosen_write_and_what_was_committed_survives(tmp_path: Path) -> None:
    env = {**os.environ, "DUOFLOW_CRASH_AFTER": "write:2"}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AT_SECOND_WRITE, str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == -signal.SIGKILL
    assert "killed at write 2" in done.stderr
    journal = Journal(tmp_path)
    assert journal.read("SELECT n FROM t") == [(1,), (2,)]  # both committed writes, nothing after


def test_a_malformed_kill_point_is_refused_with_the_rule() -> None:
    env = {**os.environ, "DUOFLOW_CRASH_AFTER": "step:two"}
    done = subprocess.run(
        [sys.executable, "-c", "import duoflow.runtime.crash_points"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "DUOFLOW_CRASH_AFTER must be <state|checkpoint|write>:<n>" in done.stderr


def test_closing_with_a_read_still_active_keeps_every_committed_write(tmp_path):
    """A signal can interrupt a read between its execute and its fetch; stopping must still close the journal, and
    what was committed is there when it is opened again."""
    journal = Journal(tmp_path)
    journal.ensure_schema("CREATE TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY)")
    journal.write("INSERT INTO kept VALUES (?)", ("a",))
    journal.write("INSERT INTO kept VALUES (?)", ("b",))
    active = journal._db.execute("SELECT key FROM kept")  # the statement a KeyboardInterrupt left behind
    active.fetchone()

    began = time.monotonic()
    journal.close()
    # The checkpoint it cannot finish is given up at once, not after the connection's 5-s busy timeout (a stop
    # after Ctrl-C hung that long).
    assert time.monotonic() - began < 2.5

    again = Journal(tmp_path)
    assert again.read("SELECT key FROM kept ORDER BY key") == [("a",), ("b",)]
    again.close()
