"""Lambda ``Invoke`` on the local runtime: every call reaches the catalog's Python handler.

moto routes every ``lambda.invoke`` — from a test, from a Step Functions Task, from inside another handler —
to ``LambdaSimpleBackend.invoke`` (moto 5.2.5 with ``use_docker: False``); the runtime points that one method
at :meth:`LambdaHost.invoke_from_moto`.

* a plain function runs in the caller's thread (``RequestResponse``) or on a worker thread (``Event``); an
  exception becomes ``FunctionError: Unhandled`` with the exception's class name as ``errorType``, which a
  Step Functions ``Catch`` matches by name, as in AWS;
* a durable function starts a durable execution (or, with the same ``DurableExecutionName``, returns the
  existing one); ``Event`` returns at once, ``RequestResponse`` waits for the execution's result.

An ``Event`` invoke of a plain function is journaled (:mod:`journal`) before the caller gets its 202 and struck
off when the handler returns; a restarted runtime runs the ones left (at least once, as Lambda's asynchronous
invocations are).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python_testing.invoker import create_test_lambda_context
from moto.core.exceptions import JsonRESTError

from catalog.specs import FunctionSpec
from duoflow.runtime.durable_host import DurableExecutionNameConflict, DurableFunction, DurableHost
from duoflow.runtime.function_code import load_handler
from duoflow.runtime.function_environment import FunctionEnvironment, running_as
from duoflow.runtime.in_flight import InFlight
from duoflow.runtime.journal import Journal
from duoflow.runtime.stream_batches import Arrival, StreamMapping
from duoflow.runtime.time_control import TimeControl

logger = logging.getLogger("duoflow.runtime.lambda")
# A journaled invoke whose id starts with this holds one request's DynamoDB stream records: on resume it goes back
# to its function's stream mapping, to be batched with the others, not invoked alone.
STREAM_INVOKE_PREFIX = "stream-"


@dataclass(frozen=True)
class Invocation:
    """One plain-function invocation, for the benchmark's Lambda figures."""

    function_name: str
    invocation_type: str
    started_at: float
    duration_ms: float
    error: str | None


class FunctionNotFound(JsonRESTError):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("ResourceNotFoundException", message)


class DurableExecutionAlreadyStarted(JsonRESTError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("DurableExecutionAlreadyStartedException", message)


def function_name_of(reference: str) -> str:
    """``name``, ``name:alias``, or a function ARN (with or without qualifier) → ``name``."""
    if reference.startswith("arn:"):
        return reference.split(":")[6]
    return reference.split(":")[0]


@dataclass(frozen=True)
class ClientContext:
    """``context.client_context`` as Lambda's Python runtime gives it: the caller's ClientContext, by attribute."""

    custom: dict[str, Any] | None = None
    env: dict[str, Any] | None = None
    client: dict[str, Any] | None = None


def client_context_of(headers: Any) -> ClientContext | None:
    """The Invoke's ``X-Amz-Client-Context`` (base64 JSON), or None when there is none or it cannot be read (Lambda
    refuses a malformed one before the function runs; a handler here then sees none rather than failing)."""
    encoded = headers.get("X-Amz-Client-Context") if headers is not None else None
    if not encoded:
        return None
    try:
        decoded = json.loads(base64.b64decode(encoded, validate=True))
    except (ValueError, TypeError):
        return None
    if not isinstance(decoded, dict):
        return None
    parts = {
        key: decoded.get(key) if isinstance(decoded.get(key), dict) else None for key in ("custom", "env", "client")
    }
    return ClientContext(**parts)


def error_payload(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


class LambdaHost:
    def __init__(
        self,
        catalog: Iterable[FunctionSpec],
        durable_host: DurableHost,
        time_control: TimeControl,
        region: str,
        account_id: str,
        event_workers: int = 32,
        journal: Journal | None = None,
        environments: Mapping[str, FunctionEnvironment] | None = None,
    ) -> None:
        self._specs = {spec.name: spec for spec in catalog}
        self._journal = journal
        if journal is not None:
            journal.ensure_schema(
                "CREATE TABLE IF NOT EXISTS lambda_event_invokes"
                " (id TEXT PRIMARY KEY, function_name TEXT NOT NULL, payload BLOB NOT NULL, queued REAL NOT NULL)"
            )
        self._durable = durable_host
        self._time_control = time_control
        self._region = region
        self._account_id = account_id
        self._handlers: dict[str, Callable] = {}
        # Each function's own variables (function_environment.py): set around its handler's import and each call.
        self._environments = {name: (environments or {}).get(name) or FunctionEnvironment(name) for name in self._specs}
        self._environment_locks: dict[str, threading.Lock] = {}
        self._event_pool = ThreadPoolExecutor(max_workers=event_workers, thread_name_prefix="lambda-event")
        self._stream_mappings: dict[str, StreamMapping] = {}  # function → its DynamoDB stream's mapping
        self._stream_mappings_lock = threading.Lock()
        self._records_lock = threading.Lock()
        self.invocations: list[Invocation] = []
        self.in_flight = InFlight()
        for spec in self._specs.values():
            # Lambda's cold start: module-level code of the handler's module reads its function's variables (a
            # module already imported by another function is not imported again: it keeps what it read then).
            with running_as(self._environments[spec.name]):
                handler = (
                    load_handler(spec.name, spec.handler, spec.code_paths) if spec.code_paths else spec.load_handler()
                )
            if spec.durable:
                durable_host.register(
                    DurableFunction(
                        name=spec.name,
                        handler=handler,
                        execution_timeout_seconds=spec.durable_execution_timeout_seconds,
                        retention_period_days=spec.durable_retention_days,
                        environment=self._environments[spec.name],
                    )
                )
            else:
                self._handlers[spec.name] = handler
                if not spec.thread_safe:
                    self._environment_locks[spec.name] = threading.Lock()

    def spec(self, reference: str) -> FunctionSpec | None:
        return self._specs.get(function_name_of(reference))

    def close(self) -> None:
        for mapping in self._stream_mappings_now():
            mapping.close()
        self._event_pool.shutdown(wait=False, cancel_futures=True)

    def deliver_stream_records_now(self) -> None:
        """The runtime is stopping: stream records waiting for their poll run now (within the stop's drain)."""
        for mapping in self._stream_mappings_now():
            mapping.deliver_now()

    def _function_arn(self, reference: str) -> str:
        return (
            reference
            if reference.startswith("arn:")
            else f"arn:aws:lambda:{self._region}:{self._account_id}:function:{reference}"
        )

    # --- moto's entry point --------------------------------------------------------------------------------

    def invoke_from_moto(
        self, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: dict
    ) -> bytes | None:
        spec = self.spec(function_name)
        if spec is None:
            raise FunctionNotFound(f"Function not found: {self._function_arn(function_name)}")
        payload = body if isinstance(body, bytes) else (body or "{}").encode()
        invocation_type = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if spec.durable:
            return self._invoke_durable(spec, payload, invocation_type, headers, response_headers)
        if invocation_type == "Event":
            self._queue_event(spec, payload)
            return b""
        result, error = self._run_plain(spec, payload, invocation_type, client_context_of(headers))
        if error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error_payload(error)).encode()
        return json.dumps(result).encode()

    # --- plain functions -----------------------------------------------------------------------------------

    def _queue_event(self, spec: FunctionSpec, payload: bytes, invoke_id: str | None = None) -> None:
        if invoke_id is None:
            invoke_id = self._journal_invoke(spec, payload)
        self._event_pool.submit(self._run_event, spec, payload, [invoke_id] if invoke_id else [])

    def _run_event(self, spec: FunctionSpec, payload: bytes, invoke_ids: list[str]) -> None:
        """Run one asynchronous invoke (a stream mapping's batch: the journaled invokes it gathers), then forget
        its journaled rows: one cut by a stop or a crash runs again after the restart."""
        self._run_plain(spec, payload, "Event")
        if invoke_ids and self._journal is not None and self._journal.is_open:
            self._journal.write_many("DELETE FROM lambda_event_invokes WHERE id = ?", [(i,) for i in invoke_ids])

    def _journal_invoke(self, spec: FunctionSpec, payload: bytes, prefix: str = "") -> str | None:
        """Journal an accepted asynchronous invoke before its caller is answered; its id (None: no journal)."""
        if self._journal is None:
            return None
        invoke_id = prefix + uuid.uuid4().hex
        self._journal.write(
            "INSERT INTO lambda_event_invokes VALUES (?, ?, ?, ?)", (invoke_id, spec.name, payload, time.time())
        )
        return invoke_id

    def resume_events(self) -> int:
        """Run the asynchronous invokes a previous run of the runtime accepted but did not finish."""
        if self._journal is None:
            return 0
        rows = self._journal.read("SELECT id, function_name, payload FROM lambda_event_invokes ORDER BY queued")
        for invoke_id, function_name, payload in rows:
            spec = self.spec(function_name)
            if spec is None:
                continue
            if invoke_id.startswith(STREAM_INVOKE_PREFIX):
                self._stream_mapping(spec).add(Arrival(invoke_id, json.loads(bytes(payload))["Records"]))
            else:
                self._queue_event(spec, bytes(payload), invoke_id)
        return len(rows)

    def _run_plain(
        self, spec: FunctionSpec, payload: bytes, invocation_type: str, client_context: ClientContext | None = None
    ) -> tuple[Any, BaseException | None]:
        # One request id per invocation, as Lambda gives (the testing SDK's context has a fixed one): logs key on it.
        # The caller's ClientContext, or none, as Lambda gives (the testing SDK's context has a made-up one).
        context = dataclasses.replace(
            create_test_lambda_context(region=self._region, account_id=self._account_id, function_name=spec.name),
            aws_request_id=str(uuid.uuid4()),
            client_context=client_context,
        )
        started = time.time()
        began = time.perf_counter()
        result, failure = None, None
        try:
            event = json.loads(payload) if payload else {}
            # A handler that is not thread-safe (module-level per-event state, like a Powertools resolver's
            # current event) handles one event at a time, as one Lambda container would.
            with (
                self.in_flight,
                self._environment_locks.get(spec.name) or contextlib.nullcontext(),
                running_as(self._environments[spec.name]),
            ):
                result = self._handlers[spec.name](event, context)
        except Exception as error:  # a Lambda's unhandled error is data for its caller
            failure = error
            if invocation_type == "Event":
                logger.error("%s (Event invoke) failed: %s: %s", spec.name, type(error).__name__, error)
        duration_ms = (time.perf_counter() - began) * 1000
        with self._records_lock:
            self.invocations.append(
                Invocation(
                    spec.name, invocation_type, started, duration_ms, type(failure).__name__ if failure else None
                )
            )
        return result, failure

    # --- DynamoDB stream records (duoflow/runtime/stream_batches.py) -------------------------------------------

    def queue_stream_records(self, function_name: str, records: list[dict[str, Any]]) -> None:
        """The stream records of one DynamoDB request for ``function_name``: journaled now (as the payload
        ``{"Records": [...]}``), invoked with the records that arrive within the mapping's poll interval."""
        spec = self.spec(function_name)
        if spec is None:
            raise FunctionNotFound(f"Function not found: {self._function_arn(function_name)}")
        payload = json.dumps({"Records": records}).encode() if self._journal is not None else b""
        invoke_id = self._journal_invoke(spec, payload, prefix=STREAM_INVOKE_PREFIX)
        self._stream_mapping(spec).add(Arrival(invoke_id, records))

    def _stream_mapping(self, spec: FunctionSpec) -> StreamMapping:
        with self._stream_mappings_lock:
            mapping = self._stream_mappings.get(spec.name)
            if mapping is None:
                mapping = self._stream_mappings[spec.name] = StreamMapping(
                    lambda payload, invoke_ids: self._run_event(spec, payload, invoke_ids),
                    self._event_pool,
                    self.in_flight,
                )
            return mapping

    def _stream_mappings_now(self) -> list[StreamMapping]:
        with self._stream_mappings_lock:
            return list(self._stream_mappings.values())

    # --- durable functions ---------------------------------------------------------------------------------

    def _invoke_durable(
        self, spec: FunctionSpec, payload: bytes, invocation_type: str, headers: Any, response_headers: dict
    ) -> bytes:
        name = headers.get("X-Amz-Durable-Execution-Name")
        try:
            arn, _started = self._durable.start(spec.name, payload.decode(), name)
        except DurableExecutionNameConflict as conflict:
            # Lambda refuses the call itself (an API error, not a function error).
            raise DurableExecutionAlreadyStarted(str(conflict)) from None
        response_headers["X-Amz-Durable-Execution-Arn"] = arn
        if invocation_type == "Event":
            return b""
        # Like one Lambda invocation: at most the function's timeout, in real seconds (compute is not scaled).
        execution = self._durable.wait(arn, timeout=spec.timeout_seconds)
        outcome = execution.result
        if outcome is None:
            return json.dumps({"DurableExecutionArn": arn, "Status": "RUNNING"}).encode()
        if outcome.error is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": outcome.error.type or "DurableExecutionFailed",
                    "errorMessage": outcome.error.message or "",
                }
            ).encode()
        return (outcome.result or "null").encode()
