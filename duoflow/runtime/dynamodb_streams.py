"""DynamoDB Streams → Lambda on the local runtime: every change to a routed table invokes a function with the
stream record, as an event source mapping does in AWS.

In AWS a table with a stream (``StreamSpecification``) writes a record for every item it adds, changes or removes,
and an event source mapping polls the stream and invokes its function with batches of records
(``{"Records": [{"eventName": "INSERT" | "MODIFY" | "REMOVE", "dynamodb": {"Keys", "NewImage", "OldImage", ...}}]}``).
Here one hook on moto's stream point does the same: moto writes the record (``StreamShard.add``, moto 5.2.5,
moto/dynamodb/models/table.py; it is called for every change of a table whose stream is on), and for a table routed
to a function the records are handed to that function's mapping (journaled before the request answers, so one
accepted before a crash runs after the restart: duoflow/runtime/lambda_host.py) — once the DynamoDB request that
made the change has returned, so the change is in the journal before its record is delivered. As Lambda polls a
shard, the mapping invokes the function with every record that arrived within its poll interval, up to 100, one
batch at a time (duoflow/runtime/stream_batches.py); the records of one request (a transaction, a batch) are never
split, and keep the order moto made them in.

What differs from AWS, and why it does not matter to what runs on it: records are delivered at least once, in the
order the requests that made them answered, which two requests at once can swap (a stream's consumer that needs
order keys on ``SequenceNumber``); a crash between a change's commit and its records' journaling (microseconds
apart, before the request has answered its caller) loses those records; a function that fails is not retried with
the same batch. moto's own mapping (``CreateEventSourceMapping`` on a function of moto's Lambda) is not used: the
runtime's functions live in its Lambda host, not in moto.

    runtime.dynamodb_streams.route("loan-progress", "metrics-audit-trail")
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from typing import Any

from duoflow.runtime.in_flight import recent_deliveries

logger = logging.getLogger("duoflow.runtime.dynamodb_streams")
_held = threading.local()  # .records: the records of the DynamoDB request this thread is handling


class DynamoDBStreams:
    """Routes the stream records of DynamoDB tables to functions (through each function's stream mapping)."""

    def __init__(self, queue_records: Callable[[str, list[dict[str, Any]]], None], region: str) -> None:
        self._queue_records = queue_records  # (function, one request's records): to the function's stream mapping
        self._region = region
        self._routes: dict[str, list[str]] = {}  # table name → functions
        self._lock = threading.Lock()
        self._originals: dict[str, Any] = {}
        self.delivered = recent_deliveries()  # for tests

    def route(self, table: str, function: str) -> None:
        """Every change to ``table`` (whose stream must be on) invokes ``function`` with its record."""
        with self._lock:
            self._routes.setdefault(table, []).append(function)

    def install(self) -> DynamoDBStreams:
        """Hook moto (after the data keeper, whose request hook this wraps: records go out after its commit)."""
        from moto.dynamodb.models.table import StreamShard
        from moto.dynamodb.responses import DynamoHandler

        if self._originals:
            return self
        add, call_action = StreamShard.add, DynamoHandler.call_action
        self._originals = {"add": add, "call_action": call_action}
        streams = self

        def add_record(shard: Any, old: Any, new: Any) -> None:
            add(shard, old, new)  # moto keeps the record for GetRecords (and calls its own mappings: none here)
            streams._recorded(shard)

        def call_action_then_deliver(handler: Any) -> Any:
            if getattr(_held, "records", None) is not None:  # a request inside another: the outer one delivers
                return call_action(handler)
            _held.records = []
            try:
                return call_action(handler)
            finally:
                held, _held.records = _held.records, None
                streams._deliver(held)

        add_record.__wrapped__ = add  # type: ignore[attr-defined]
        call_action_then_deliver.__wrapped__ = call_action  # type: ignore[attr-defined]
        StreamShard.add = add_record
        DynamoHandler.call_action = call_action_then_deliver
        return self

    def uninstall(self) -> None:
        from moto.dynamodb.models.table import StreamShard
        from moto.dynamodb.responses import DynamoHandler

        if self._originals:
            StreamShard.add = self._originals["add"]
            DynamoHandler.call_action = self._originals["call_action"]
            self._originals = {}

    def _recorded(self, shard: Any) -> None:
        table = shard.table
        with self._lock:
            functions = list(self._routes.get(table.name, ()))
        if not functions:
            return
        record = _lambda_record(shard.items[-1].to_json(), table, self._region)
        held = getattr(_held, "records", None)
        if held is not None:
            held.append((functions, record))  # the request that made the change has not answered yet
        else:
            self._deliver([(functions, record)])  # a change made outside any request (Python calling moto)

    def _deliver(self, records: list[tuple[list[str], dict[str, Any]]]) -> None:
        by_function: dict[str, list[dict[str, Any]]] = {}
        for functions, record in records:
            for function in functions:
                by_function.setdefault(function, []).append(record)
        for function, batch in by_function.items():
            try:
                self._queue_records(function, batch)
            except Exception as error:  # a stream's delivery never fails the write (as in AWS)
                logger.error("could not deliver %d stream record(s) to %s: %s", len(batch), function, error)
                continue
            with self._lock:
                self.delivered.append((function, {"Records": batch}))


def _lambda_record(record: dict[str, Any], table: Any, region: str) -> dict[str, Any]:
    """moto's stream record as Lambda receives it from an event source mapping (the shape of moto's own
    ``send_dynamodb_items``): the creation time in epoch seconds, the region, the stream's ARN."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        dynamodb["ApproximateCreationDateTime"] = int(
            created.replace(tzinfo=created.tzinfo or datetime.UTC).timestamp()
        )
    return {
        **record,
        "eventVersion": "1.1",
        "awsRegion": region,
        "dynamodb": dynamodb,
        # As moto's Table.describe() builds LatestStreamArn, without describe(), which counts every item of the table
        # (ItemCount): at each change, that made a burst's cost grow with the table (8 % of the CPU by 3,000 runs).
        "eventSourceARN": f"{table.table_arn}/stream/{table.latest_stream_label}",
    }
