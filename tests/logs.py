"""What the functions logged, for tests: the Powertools logger's JSON lines, parsed (services/common/log.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

from services.common.log import logger


@contextmanager
def captured_logs() -> Iterator[list[dict]]:
    """Every line logged inside the block; the list is filled when the block ends."""
    handler = logger.registered_handler
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line.strip())
