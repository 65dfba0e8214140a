"""How the durable store (duoflow/runtime/durable_host.py ``ReusedConnectionsStore``) keeps an execution: the durable
testing SDK's ``executions`` row, whose ``data`` is the execution's JSON less its growing parts, and a row per element
of each growing part. Read by the store and, without the runtime, by duoflow/runtime/saved_state.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

# The parts of an execution that only grow, as (its key in the SDK's JSON, its attribute, one element as JSON): the
# SDK appends to them, and replaces an operation by a new object rather than change it (Operation is frozen).
GROWING_PARTS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("Operations", "operations", lambda operation: operation.to_json_dict()),
    ("Updates", "updates", lambda update: update.to_dict()),
    ("UpdateTimestamps", "update_timestamps", lambda timestamp: timestamp.isoformat()),
    ("InvocationCompletions", "invocation_completions", lambda completion: completion.to_json_dict()),
)
PARTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS duoflow_execution_parts (
    durable_execution_arn TEXT NOT NULL, part TEXT NOT NULL, position INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (durable_execution_arn, part, position)
)"""


def saved_whole(data: dict[str, Any]) -> set[str]:
    """The growing parts an execution's row holds itself (saved whole: by the SDK's own store, or by duoflow before
    2026-12-04): a row written with parts holds none of their elements."""
    return {key for key, _attribute, _as_json in GROWING_PARTS if data.get(key)}


def with_growing_parts(conn: sqlite3.Connection, execution_arn: str, data: dict[str, Any]) -> dict[str, Any]:
    """An execution's JSON as the SDK's ``to_json_dict`` gives it, from its row's ``data`` and its parts' rows. A part
    the row holds itself (``saved_whole``) is taken from the row: it was written after any rows of that part."""
    whole = saved_whole(data)
    parts: dict[str, list[Any]] = {}
    for key, element in conn.execute(
        "SELECT part, data FROM duoflow_execution_parts WHERE durable_execution_arn = ? ORDER BY part, position",
        (execution_arn,),
    ):
        if key not in whole:
            parts.setdefault(key, []).append(json.loads(element))
    data.update(parts)
    return data
