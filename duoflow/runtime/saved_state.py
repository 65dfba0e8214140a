"""What `duoflow serve` keeps in its state directory, read without the server: for commands that run beside it
or after it (``duoflow audit``).

The files are opened read-only (SQLite ``mode=ro``): nothing here takes the state directory's lock, writes, or
resumes an execution, so a running server is not disturbed and a stopped one finds its state as it left it. A
server that is running has committed everything it acknowledged (duoflow/runtime/README.md, "What survives a
crash"), so what is read is at least what its callers were told.

The layouts read are the runtime's own: the journal's tables (keep_step_functions.py, keep_moto_data.py) and the
durable testing SDK's store (durable_host.py). tests/integration/test_audit_export.py reads a state directory a
runtime wrote, so a change of layout there fails there.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from duoflow.runtime.durable_parts import with_growing_parts
from duoflow.runtime.journal import JOURNAL_FILE

DURABLE_STORE_FILE = "durable-executions.sqlite3"
# The runs a recovery starts for an execution are named after it (duoflow/console/recovery.py, the state machines'
# DurableExecutionName once redriven): NAME-again-…, NAME-rerun-…, NAME-redrive-N; an application's runs include them.
RECOVERY_SUFFIXES = ("again", "rerun", "redrive")


def _named(column: str, name: str) -> tuple[str, list[str]]:
    """A WHERE clause for runs called ``name`` or named after it by a recovery, and its parameters."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    likes = [f"{escaped}-{suffix}-%" for suffix in RECOVERY_SUFFIXES]
    clause = " OR ".join([f"{column} = ?", *[f"{column} LIKE ? ESCAPE '\\'"] * len(likes)])
    return f"({clause})", [name, *likes]


class NoSavedState(LookupError):
    """The directory holds no runtime state; the message names it and says what to do."""


class SavedState:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self._journal = self.state_dir / JOURNAL_FILE
        self._durable_store = self.state_dir / DURABLE_STORE_FILE
        if not self._journal.is_file():
            raise NoSavedState(
                f"{self.state_dir} holds no state of `duoflow serve` (no {JOURNAL_FILE}): give --state-dir the "
                "directory the server was started with"
            )

    @contextmanager
    def _read(self, path: Path) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            yield db

    # --- DynamoDB items (keep_moto_data.py) ------------------------------------------------------------------

    def items(self, table: str, partition_key: str) -> list[dict[str, Any]]:
        """The items of ``table`` under a string partition key, in DynamoDB's wire JSON, in sort key order."""
        with self._read(self._journal) as db:
            rows = db.execute(
                "SELECT item FROM moto_dynamodb_items WHERE table_name = ? AND partition_key = ? ORDER BY sort_key",
                (table, f"S:{partition_key}"),
            ).fetchall()
        return [json.loads(item) for (item,) in rows]

    # --- Step Functions (keep_step_functions.py) -------------------------------------------------------------

    def state_machine_executions(self, name: str) -> list[dict[str, Any]]:
        """Every Step Functions execution called ``name`` (one per state machine at most) or started again from it
        (``name-again-…``), oldest first."""
        where, parameters = _named("name", name)
        with self._read(self._journal) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT arn, machine_arn, name, status, start_date, stop_date, error, cause FROM sfn_executions"
                f" WHERE {where} ORDER BY start_date",
                parameters,
            ).fetchall()
        return [dict(row) for row in rows]

    def state_machine_events(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events as ``GetExecutionHistory`` gives them, oldest first."""
        with self._read(self._journal) as db:
            rows = db.execute("SELECT event FROM sfn_events WHERE arn = ? ORDER BY id", (execution_arn,)).fetchall()
        return [json.loads(event) for (event,) in rows]

    # --- durable executions (the durable testing SDK's store) ------------------------------------------------

    def durable_executions(self, name: str) -> list[dict[str, Any]]:
        """Every durable execution called ``name`` (of any function) or named after it by a recovery (re-run,
        redrive, start again), oldest first: its function, ARN, status and operations (each as
        ``GetDurableExecutionState`` gives it: Name, Type, SubType, Status, timestamps in milliseconds,
        StepDetails...)."""
        if not self._durable_store.is_file():
            return []
        where, parameters = _named("execution_name", name)
        with self._read(self._durable_store) as db:
            rows = db.execute(
                "SELECT function_name, durable_execution_arn, status, data FROM executions"
                f" WHERE {where} ORDER BY start_timestamp",
                parameters,
            ).fetchall()
            # A store an older duoflow wrote and no runtime has opened since has no parts: its rows are whole.
            has_parts = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'duoflow_execution_parts'").fetchone()
            executions = [
                (
                    function,
                    arn,
                    status,
                    with_growing_parts(db, arn, json.loads(data)) if has_parts else json.loads(data),
                )
                for function, arn, status, data in rows
            ]
        return [
            {"function": function, "arn": arn, "status": status, "operations": data.get("Operations", [])}
            for function, arn, status, data in executions
        ]
