"""The two kinds of value every history the console reads holds: JSON written as text (inputs, outputs,
payloads) and datetimes (boto3 parses timestamps). Both readers (state_history.py, durable_operations.py) and
the boto3 reader (executions.py) turn them into JSON the same way, so they share these two functions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


def iso(value: Any) -> Any:
    """A datetime as ISO 8601 text; anything else (None, text already) as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


def json_or_text(text: Any) -> Any:
    """JSON text parsed; text that is not JSON, and values that are not text, as they are."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
