"""Durable functions on the local runtime: the durable testing SDK's executor, wired for many functions.

This is the wiring ``DurableFunctionTestRunner`` does for one handler, done once for every durable function
of a catalog, with three additions the runner lacks:

* a SQLite store (executions survive the process),
* de-duplication by execution name, as Lambda does for ``Invoke(DurableExecutionName=...)``: the same name
  and payload return the existing execution, the same name with another payload is refused,
* the runtime's :class:`TimeControl` for every timer (waits, retries, callback and execution timeouts),
* resumption after a restart (:meth:`DurableHost.resume`): the store keeps every execution, but the SDK arms
  callback and execution timeouts as in-memory timers and re-invokes nothing on load. Their due dates are
  journaled (:mod:`journal`) when armed, and every running execution is invoked again on start (it replays
  to where it was; waits and retries re-arm from their checkpointed timestamps); what was due while the runtime
  was down fires at once.

Handlers run in-process under the real SDK (``@durable_execution``) and checkpoint through the SDK's
in-memory service client into the store.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import Operation
from aws_durable_execution_sdk_python_testing.checkpoint.processor import CheckpointProcessor
from aws_durable_execution_sdk_python_testing.child_dispatcher import FunctionRegistry, InProcessChildDispatcher
from aws_durable_execution_sdk_python_testing.client import InMemoryServiceClient
from aws_durable_execution_sdk_python_testing.exceptions import ResourceNotFoundException
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.executor import Executor
from aws_durable_execution_sdk_python_testing.invoker import InProcessInvoker, create_test_lambda_context
from aws_durable_execution_sdk_python_testing.model import (
    Event,
    GetDurableExecutionHistoryResponse,
    ListDurableExecutionsResponse,
    RetryDetails,
    StartDurableExecutionInput,
)
from aws_durable_execution_sdk_python_testing.model import (
    Execution as ExecutionSummary,  # as the SDK's executor names it
)
from aws_durable_execution_sdk_python_testing.stores.sqlite import SQLiteExecutionStore
from aws_durable_execution_sdk_python_testing.worker.registry import ExecutionRegistry

from duoflow.runtime import crash_points
from duoflow.runtime.durable_parts import GROWING_PARTS, PARTS_SCHEMA, saved_whole, with_growing_parts
from duoflow.runtime.function_environment import FunctionEnvironment, running_as
from duoflow.runtime.in_flight import Endings, InFlight
from duoflow.runtime.journal import Journal
from duoflow.runtime.patches import speedups_enabled
from duoflow.runtime.patches.durable_sdk import freshly_parsed
from duoflow.runtime.time_control import ModelledClock, ScaledScheduler, TimeControl


class DurableExecutionNameConflict(Exception):
    """The execution name is taken by an execution of the same function with a different input."""


class UnknownDurableFunction(Exception):
    """No durable function of that name is registered."""


@dataclass(frozen=True)
class DurableInvocation:
    function_name: str
    execution_arn: str
    duration_ms: float


@dataclass(frozen=True)
class DurableFunction:
    name: str
    handler: Callable
    execution_timeout_seconds: int
    retention_period_days: int = 7
    environment: FunctionEnvironment | None = None  # what os.environ shows its handler (function_environment.py)


class ReusedConnectionsStore(SQLiteExecutionStore):
    """The SDK's SQLite store, with one connection per thread instead of one per call, calls taking turns, and
    an index for looking an execution up by name.

    * The store opens a connection, sets WAL mode and commits or rolls back per call; here each thread keeps its
      connection (the same pragmas, the same transaction per call), which spares the opening and the WAL
      bookkeeping of closing the last connection — the store is read and written some sixty times per loan
      application. A thread's connection closes when the thread ends.
    * Every caller is in this process, so the calls take turns on a lock: left to SQLite, a writer that finds
      the database locked sleeps in its busy handler (1 ms, 2 ms, … up to 100 ms a try) while nobody works.
    * Lambda finds an execution by function and name (``DurableExecutionName``); the SDK's schema indexes the
      function only, so each lookup read every execution of the function.
    * Executions read from the database are built from JSON parsed just now, without the SDK's defensive copy
      of every operation (duoflow/runtime/patches/durable_sdk.py ``freshly_parsed``).
    * A save writes what changed, not the whole execution. The SDK's store wrote the execution as one JSON document
      at every save, so an execution's saves cost the square of its size: a map of 400 items of 10 KB spent 84 % of
      its CPU encoding JSON. Here the parts of an execution that only grow (``GROWING_PARTS``: operations, updates,
      their timestamps, invocation completions) are rows of their own, and a save writes the elements that are new
      or were replaced (the SDK replaces an operation by a new frozen object, never changes one), with the rest of
      the execution as the ``data`` the SDK's schema has, in one transaction as before. Reads put the parts back;
      an execution saved whole (by an earlier version of duoflow) is read as it was written.
    * Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``, ``keeps_running_in_memory``): a running execution is kept
      in memory and loaded from there, as the SDK's in-memory store (the stock runner's) hands out the one object
      it keeps; the SDK store rebuilt the whole execution from its JSON at every load, some forty times per loan
      application. Every save is still written through to the database before it returns, so what survives a
      crash is unchanged. A completed execution stays in memory among the last ``RECENTLY_COMPLETED_KEPT``
      completed: the executor reads it again just after its end (the invocation's completion, which it saves, the
      parent's notice, the wake-up timer's check), which read it from the database five times a hybrid loan
      application (1.8 ms each) and rewrote all its parts twice; older ones leave memory (it holds what is in
      flight and what just ended).
    """

    _per_thread = threading.local()
    keeps_running_in_memory = True
    RECENTLY_COMPLETED_KEPT = 64

    def __init__(self, db_path: Path) -> None:
        self._identity = uuid.uuid4().hex  # a new store (a restarted runtime) never reuses an old connection
        self._turns = threading.RLock()
        self._running: dict[str, Execution] = {}  # by ARN; guarded by _turns
        self._recently_completed: OrderedDict[str, Execution] = OrderedDict()  # by ARN, oldest first; ditto
        # By ARN, the elements of each growing part as its rows in the database hold them (the objects last written
        # or read): an element that is still the same object is not written again; None: the rows are not known, the
        # next save replaces them all. Running and recently completed executions only; guarded by _turns.
        self._written: dict[str, dict[str, list[Any] | None]] = {}
        super().__init__(db_path)

    def _init_db(self) -> None:
        super()._init_db()
        with self._connection() as conn:
            conn.execute(
                "CREATE INDEX IF NOT EXISTS idx_function_execution_name ON executions(function_name, execution_name)"
            )
            conn.execute(PARTS_SCHEMA)

    def load(self, execution_arn: str) -> Execution:
        with self._turns:  # read and remembered as written at once: a save cannot come in between
            if self.keeps_running_in_memory:
                kept = self._running.get(execution_arn)
                if kept is None:
                    kept = self._recently_completed.get(execution_arn)
                if kept is not None:
                    return kept
            try:  # the errors as the SDK's load reports them
                with self._connection() as conn:
                    row = conn.execute(
                        "SELECT data FROM executions WHERE durable_execution_arn = ?", (execution_arn,)
                    ).fetchone()
                    if row is None:
                        raise ResourceNotFoundException("Durable Execution does not exist")
                    data = json.loads(row[0])
                    whole = saved_whole(data)
                    data = with_growing_parts(conn, execution_arn, data)
            except sqlite3.Error as error:
                raise RuntimeError(f"Failed to load execution {execution_arn}: {error}") from error
            except json.JSONDecodeError as error:
                raise ValueError(f"Corrupted execution data for {execution_arn}: {error}") from error
            with freshly_parsed():
                loaded = Execution.from_json_dict(data)
            if loaded.is_complete:
                return loaded
            # What the parts' rows hold, as objects; a part saved whole has no rows yet: its next save writes it all.
            self._written[execution_arn] = {
                key: None if key in whole else elements for key, elements in _growing_parts_of(loaded).items()
            }
            if self.keeps_running_in_memory:
                self._running[execution_arn] = loaded
            return loaded

    def save(self, execution: Execution) -> None:
        with self._turns:  # written through, then kept: one save at a time, so memory never holds an older one
            self._write(execution)
            arn = execution.durable_execution_arn
            if not self.keeps_running_in_memory:
                if execution.is_complete:
                    self._written.pop(arn, None)
            elif execution.is_complete:
                self._running.pop(arn, None)
                self._recently_completed[arn] = execution
                self._recently_completed.move_to_end(arn)
                while len(self._recently_completed) > self.RECENTLY_COMPLETED_KEPT:
                    oldest, _ = self._recently_completed.popitem(last=False)
                    self._written.pop(oldest, None)
            else:  # running (again, if it had ended)
                self._recently_completed.pop(arn, None)
                self._running[arn] = execution

    def _write(self, execution: Execution) -> None:
        """The SDK store's save (the same row, columns and transaction), with the growing parts as rows of their own,
        only the elements that changed since the database last held this execution."""
        arn = execution.durable_execution_arn
        written = self._written.get(arn)  # None: not known here (a new execution, or one read before a restart)
        now = _growing_parts_of(execution)
        rows, trims, replaced = [], [], []
        for key, _attribute, as_json in GROWING_PARTS:
            before = written.get(key) if written is not None else []
            if before is None:  # a part the row held whole: its rows, if any, are older than the row
                replaced.append((arn, key))
                before = []
            rows += [
                (arn, key, position, json.dumps(as_json(element)))
                for position, element in enumerate(now[key])
                if position >= len(before) or before[position] is not element
            ]
            if len(before) > len(now[key]):
                trims.append((arn, key, len(now[key])))
        rest = copy.copy(execution)  # the same execution less its growing parts, for the SDK's own serialization
        for _key, attribute, _as_json in GROWING_PARTS:
            setattr(rest, attribute, [])
        started = execution.get_operation_execution_started()
        try:
            with self._connection() as conn:
                if written is None:
                    conn.execute("DELETE FROM duoflow_execution_parts WHERE durable_execution_arn = ?", (arn,))
                for statement, parameters in (
                    ("DELETE FROM duoflow_execution_parts WHERE durable_execution_arn = ? AND part = ?", replaced),
                    (
                        "DELETE FROM duoflow_execution_parts WHERE durable_execution_arn = ? AND part = ?"
                        " AND position >= ?",
                        trims,
                    ),
                    ("INSERT OR REPLACE INTO duoflow_execution_parts VALUES (?, ?, ?, ?)", rows),
                ):
                    if parameters:
                        conn.executemany(statement, parameters)
                conn.execute(
                    "INSERT OR REPLACE INTO executions (durable_execution_arn, function_name, execution_name, status,"
                    " start_timestamp, end_timestamp, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        arn,
                        execution.start_input.function_name,
                        execution.start_input.execution_name,
                        execution.current_status().value,
                        started.start_timestamp.timestamp() if started.start_timestamp else None,
                        started.end_timestamp.timestamp() if started.end_timestamp else None,
                        json.dumps(rest.to_json_dict()),
                    ),
                )
        except sqlite3.Error as error:  # as the SDK's save reports it
            raise RuntimeError(f"Failed to save execution {arn}: {error}") from error
        self._written[arn] = now  # save forgets it with the execution

    def update(self, execution: Execution) -> None:
        super().update(execution)  # the SDK store's update is its save
        crash_points.passed("checkpoint")  # a checkpoint is saved before the step that made it goes on

    def query(self, *args: Any, **kwargs: Any) -> tuple[list[Execution], str | None]:
        """The SDK store's query, each execution read with its growing parts."""
        with freshly_parsed():
            found, marker = super().query(*args, **kwargs)
        with self._connection() as conn:
            complete = [
                with_growing_parts(conn, execution.durable_execution_arn, execution.to_json_dict())
                for execution in found
            ]
        with freshly_parsed():
            return [Execution.from_json_dict(data) for data in complete], marker

    def query_for_summaries(self, **filters: Any) -> tuple[list[Execution], str | None]:
        """The SDK store's query (the same filters, order and pages) for a list of summaries: each execution as its row
        holds it with its first operation only, all that ``ExecutionSummary.from_execution`` reads (the start, the
        end); reading every operation of every execution was half of the console's list of 1,000 executions (0.9 s)."""
        with freshly_parsed():
            found, marker = super().query(**filters)  # a row saved whole (saved_whole) comes with its operations
            wanted = [execution.durable_execution_arn for execution in found if not execution.operations]
            firsts: dict[str, str] = {}
            with self._connection() as conn:
                for start in range(0, len(wanted), 500):  # SQLite allows 999 parameters a statement before 3.32
                    arns = wanted[start : start + 500]
                    firsts.update(
                        conn.execute(
                            "SELECT durable_execution_arn, data FROM duoflow_execution_parts WHERE part = 'Operations'"
                            f" AND position = 0 AND durable_execution_arn IN ({', '.join('?' * len(arns))})",
                            arns,
                        )
                    )
            for execution in found:
                if (first := firsts.get(execution.durable_execution_arn)) is not None:
                    execution.operations = [Operation.from_json_dict(json.loads(first))]
        return found, marker

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connections = self._per_thread.__dict__.setdefault("connections", {})
        conn = connections.get(self._identity)
        if conn is None:
            conn = connections[self._identity] = self._get_connection()
        with self._turns, conn:  # commit on success, roll back on error: as the SDK's _connection does
            yield conn


def _growing_parts_of(execution: Execution) -> dict[str, list[Any]]:
    return {key: list(getattr(execution, attribute)) for key, attribute, _as_json in GROWING_PARTS}


DURABLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS durable_timers (key TEXT PRIMARY KEY, execution_arn TEXT NOT NULL, due REAL NOT NULL);
CREATE TABLE IF NOT EXISTS durable_clock (id INTEGER PRIMARY KEY CHECK (id = 1), skipped REAL NOT NULL);
"""


def durable_execution_arn(region: str, account_id: str, function: str, qualifier: str, name: str, run: str) -> str:
    """A durable execution's ARN as Lambda makes it (botocore's ``DurableExecutionArn`` pattern):
    ``arn:aws:lambda:REGION:ACCOUNT:function:NAME:VERSION/durable-execution/EXECUTION_NAME/ID``. The durable SDK
    reads the last segment as the id of the execution's EXECUTION operation (``ExecutionState.
    get_execution_operation``), which is the invocation id the executor gives the execution."""
    if function.startswith("arn:"):
        function = function.split(":")[6]
    return f"arn:aws:lambda:{region}:{account_id}:function:{function}:{qualifier}/durable-execution/{name}/{run}"


def execution_name_of(execution_arn: str) -> str:
    """The execution name in an ARN ``durable_execution_arn`` made (a name has no slash: Lambda's pattern)."""
    return execution_arn.rsplit("/", 2)[-2]


class JournaledExecutor(Executor):
    """The SDK's executor, recording when each callback and execution timeout falls due (real time), so a
    restarted runtime re-arms them with what is left instead of forgetting them; and naming executions with
    Lambda's ARNs (the SDK's ``Execution.new`` makes ``uuid/uuid``)."""

    journal: Journal | None = None
    time_control: TimeControl
    endings: Endings | None = None

    def _complete_events(self, execution_arn: str) -> None:
        """The SDK's last step of every end (success, failure, timeout, stop), after the end is stored: the run's
        watcher is told too."""
        super()._complete_events(execution_arn)
        if self.endings is not None:
            self.endings.ended(execution_name_of(execution_arn))

    def _create_execution(
        self, input: StartDurableExecutionInput, parent_execution_arn: str | None = None
    ) -> Execution:  # noqa: A002
        """``Executor._create_execution`` (testing SDK 1.4.0) with an AWS-shaped ARN; the same steps otherwise."""
        if input.invocation_id is None:
            input = replace(input, invocation_id=str(uuid.uuid4()))  # noqa: A001
        arn = durable_execution_arn(
            self._region,
            input.account_id,
            input.function_name,
            input.function_qualifier or "$LATEST",
            input.execution_name,
            input.invocation_id,
        )
        execution = Execution(durable_execution_arn=arn, start_input=input, operations=[])
        execution.region = self._region
        execution.parent_execution_arn = parent_execution_arn
        execution.start(now=self._clock.now())
        self._store.save(execution)
        return execution

    def get_execution_history(
        self, execution_arn: str, *args: Any, **kwargs: Any
    ) -> GetDurableExecutionHistoryResponse:
        """``Executor.get_execution_history`` (testing SDK 1.4.0), with ``RetryDetails`` on every StepSucceeded event
        as Lambda gives it (botocore's ``StepSucceededDetails`` requires it): the SDK writes it on StepFailed only,
        so a client reading the history (the SDK's cloud test runner: ``attempt``) saw a step that succeeded on
        its second attempt at attempt 1, the failed one's. The attempt is the step's own (``StepDetails.attempt``): a step succeeds
        once, on its last attempt, so every page of the history gets the same answer."""
        response = super().get_execution_history(execution_arn, *args, **kwargs)
        if not any(_lacks_retry_details(event) for event in response.events):
            return response
        attempts = {
            operation.operation_id: operation.step_details.attempt
            for operation in self.get_execution(execution_arn).operations
            if operation.step_details is not None
        }
        events = [
            replace(
                event,
                step_succeeded_details=replace(
                    event.step_succeeded_details,
                    retry_details=RetryDetails(current_attempt=attempts.get(event.operation_id, 1)),
                ),
            )
            if _lacks_retry_details(event)
            else event
            for event in response.events
        ]
        return replace(response, events=events)

    def list_executions(
        self,
        function_name: str | None = None,
        function_version: str | None = None,  # noqa: ARG002 (as the SDK's: one version per function here)
        execution_name: str | None = None,
        status_filter: str | None = None,
        started_after: str | None = None,
        started_before: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
        reverse_order: bool = False,  # noqa: FBT001, FBT002
    ) -> ListDurableExecutionsResponse:
        """``Executor.list_executions`` (testing SDK 1.4.0: the same marker, filters, pages and summaries), reading
        each listed execution's row and first operation (``query_for_summaries``) instead of the whole execution."""
        try:
            offset = int(marker) if marker else 0
        except ValueError:
            offset = 0
        executions, next_marker = self._store.query_for_summaries(
            function_name=function_name,
            execution_name=execution_name,
            status_filter=status_filter,
            started_after=started_after,
            started_before=started_before,
            limit=max_items or 50,
            offset=offset,
            reverse_order=reverse_order,
        )
        summaries = [
            ExecutionSummary.from_execution(execution, execution.current_status().value, self._region)
            for execution in executions
        ]
        return ListDurableExecutionsResponse(durable_executions=summaries, next_marker=next_marker)

    def _launch_execution(self, execution: Execution, timeout_seconds: int) -> None:
        if timeout_seconds > 0:
            self._record_due(
                f"execution:{execution.durable_execution_arn}", execution.durable_execution_arn, timeout_seconds
            )
        super()._launch_execution(execution, timeout_seconds)

    def _schedule_callback_timeouts(self, execution_arn: str, callback_options: Any, callback_id: str) -> None:
        if callback_options and callback_options.timeout_seconds > 0:
            self._record_due(f"callback:{callback_id}", execution_arn, callback_options.timeout_seconds)
        super()._schedule_callback_timeouts(execution_arn, callback_options, callback_id)

    def _record_due(self, key: str, execution_arn: str, modelled_seconds: float) -> None:
        if self.journal is not None:
            due = time.time() + self.time_control.real_timeout_seconds(modelled_seconds)
            self.journal.write("INSERT OR IGNORE INTO durable_timers VALUES (?, ?, ?)", (key, execution_arn, due))

    def remaining(self, key: str, modelled_seconds: float) -> float:
        """Modelled seconds left of a journaled timer (the whole duration when it was never journaled)."""
        rows = self.journal.read("SELECT due FROM durable_timers WHERE key = ?", (key,)) if self.journal else []
        if not rows:
            return modelled_seconds
        real_left = max(0.0, rows[0][0] - time.time())
        return real_left / self.time_control.timeouts


class DurableHost:
    """Starts, de-duplicates and looks up durable executions of the registered functions."""

    def __init__(
        self,
        store_path: Path,
        time_control: TimeControl,
        region: str,
        account_id: str,
        invocation_timeout_seconds: int = 900,
        journal: Journal | None = None,
        endings: Endings | None = None,
    ) -> None:
        self._account_id = account_id
        self._time_control = time_control
        self._journal = journal
        if journal is not None:
            journal.ensure_schema(DURABLE_SCHEMA)
            journal.also_force(store_path)
        store_path.parent.mkdir(parents=True, exist_ok=True)
        self.store = ReusedConnectionsStore.create_and_initialize(store_path)
        self.store.keeps_running_in_memory = speedups_enabled()
        self._names_lock = threading.Lock()
        self._init_names_table()
        self._functions: dict[str, DurableFunction] = {}
        self.invocations: list[DurableInvocation] = []
        self.in_flight = InFlight()

        self._scheduler = ScaledScheduler(time_control)
        self._scheduler.start()
        clock = ModelledClock(time_control, on_skip=self._record_skipped if journal is not None else None)
        if journal is not None:
            rows = journal.read("SELECT skipped FROM durable_clock")
            if rows:  # the modelled clock carries on from where it was, never back
                clock.skip_to(rows[0][0])
        self._clock = clock
        self._registry = ExecutionRegistry(self.store, self._scheduler)
        processor = CheckpointProcessor(store=self.store, scheduler=self._scheduler, clock=clock)
        service_client = InMemoryServiceClient(processor, self._registry)
        self._invoker = InProcessInvoker(self._unknown_function, service_client, region=region)
        self._function_registry = FunctionRegistry()
        self.executor = JournaledExecutor(
            store=self.store,
            scheduler=self._scheduler,
            invoker=self._invoker,
            checkpoint_processor=processor,
            invocation_timeout_seconds=invocation_timeout_seconds,
            registry=self._registry,
            clock=clock,
            child_dispatcher=InProcessChildDispatcher(
                self._function_registry,
                lambda request: create_test_lambda_context(
                    region=region,
                    account_id=request.account_id,
                    function_name=request.invoke_identifier(),
                    tenant_id=request.tenant_id,
                ),
                invocation_timeout_seconds=invocation_timeout_seconds,
                clock=clock,
            ),
            region=region,
        )
        self.executor.journal = journal
        self.executor.time_control = time_control
        self.executor.endings = endings
        # The executor re-invokes an execution whose invocation failed, or returned PENDING with nothing pending (a
        # wait that fell due while the invocation ran, as in a parallel of waits), after RETRY_BACKOFF_SECONDS. That
        # is a retry delay: it runs at the wait scale, as a step's does; the scheduler applies the timeout scale to
        # every delay, hence the ratio. (At timeouts slower than waits it was 5 real seconds per such re-invoke.)
        self.executor.RETRY_BACKOFF_SECONDS = (
            Executor.RETRY_BACKOFF_SECONDS * time_control.scale / time_control.timeouts
        )
        processor.add_execution_observer(self.executor)
        processor.set_chained_invoke_preflight(self.executor.preflight_chained_invoke)

    def _record_skipped(self, skipped_seconds: float) -> None:
        self._journal.write("INSERT OR REPLACE INTO durable_clock VALUES (1, ?)", (skipped_seconds,))

    @staticmethod
    def _unknown_function(event, context):  # noqa: ANN001, ARG004
        raise UnknownDurableFunction(f"no durable function registered as {context.function_name!r}")

    # --- functions -----------------------------------------------------------------------------------------

    def register(self, function: DurableFunction) -> None:
        self._functions[function.name] = function
        handler = _in_environment(function.environment, function.handler)
        self._invoker.register(function.name, self._timed(function.name, handler))
        self._function_registry.register(  # chained invokes (context.invoke) of a durable function
            function.name,
            handler,
            is_durable=True,
            execution_timeout_seconds=function.execution_timeout_seconds,
            retention_period_days=function.retention_period_days,
        )

    def _timed(self, function_name: str, handler: Callable) -> Callable:
        """Records each invocation's real duration (what Lambda would bill), keyed by execution."""

        def invoke(event, context):  # noqa: ANN001
            began = time.perf_counter()
            try:
                with self.in_flight:
                    return handler(event, context)
            finally:
                with self._names_lock:
                    self.invocations.append(
                        DurableInvocation(
                            function_name, event.durable_execution_arn, (time.perf_counter() - began) * 1000
                        )
                    )

        return invoke

    def invocations_of(self, execution_arn: str) -> list[DurableInvocation]:
        with self._names_lock:
            return [invocation for invocation in self.invocations if invocation.execution_arn == execution_arn]

    def is_durable(self, function_name: str) -> bool:
        return function_name in self._functions

    # --- executions ----------------------------------------------------------------------------------------

    def start(self, function_name: str, payload: str, execution_name: str | None = None) -> tuple[str, bool]:
        """Start an execution, or return the one already started under ``execution_name``.

        Returns ``(execution_arn, started)``; ``started`` is False when an existing execution was returned.
        """
        function = self._functions.get(function_name)
        if function is None:
            raise UnknownDurableFunction(f"no durable function registered as {function_name!r}")
        name = execution_name or str(uuid.uuid4())
        with self._names_lock:
            existing = self._lookup_name(function_name, name)
            if existing is not None:
                arn, existing_payload = existing
                if existing_payload != payload:
                    raise DurableExecutionNameConflict(
                        f"durable execution name {name!r} of {function_name!r} is already used with another input"
                    )
                return arn, False
            output = self.executor.start_execution(
                StartDurableExecutionInput(
                    account_id=self._account_id,
                    function_name=function_name,
                    function_qualifier="$LATEST",
                    execution_name=name,
                    execution_timeout_seconds=function.execution_timeout_seconds,
                    execution_retention_period_days=function.retention_period_days,
                    input=payload,
                )
            )
            self._remember_name(function_name, name, output.execution_arn, payload)
            return output.execution_arn, True

    def statuses(self, function_name: str, execution_name: str) -> list[str]:
        """The statuses of a function's executions under a name (RUNNING, SUCCEEDED, …), read from the store
        without loading the executions: what a watcher polling many runs needs."""
        with self.store._connection() as conn:
            rows = conn.execute(
                "SELECT status FROM executions WHERE function_name = ? AND execution_name = ?",
                (function_name, execution_name),
            ).fetchall()
        return [row[0] for row in rows]

    def wait(self, execution_arn: str, timeout: float | None = None) -> Execution:
        """Block until the execution completes (or ``timeout`` real seconds pass) and return it."""
        self.executor.wait_until_complete(execution_arn, timeout)
        return self.store.load(execution_arn)

    def resume(self) -> int:
        """Carry on every execution the store holds as running: re-arm its execution timeout and the timeouts of
        the callbacks it waits for (with what is left of them), then invoke it once — it replays to where it was.
        Returns how many were resumed."""
        from aws_durable_execution_sdk_python_testing.model import ErrorObject

        executor = self.executor
        running, _ = self.store.query(status_filter="RUNNING")
        for execution in running:
            arn = execution.durable_execution_arn
            completion = self._scheduler.create_event()
            executor._completion_events[arn] = completion
            timeout = execution.start_input.execution_timeout_seconds or 0
            if timeout > 0:
                left = executor.remaining(f"execution:{arn}", timeout)

                def timed_out(arn: str = arn, timeout: int = timeout) -> None:
                    executor.on_timed_out(
                        arn, ErrorObject.from_message(f"Execution timed out after {timeout} seconds.")
                    )

                executor._execution_timeouts[arn] = self._scheduler.call_later(
                    timed_out, delay=left, completion_event=completion
                )
            for operation in execution.operations:
                if operation.operation_type.value != "CALLBACK" or operation.status.value != "STARTED":
                    continue
                callback_id = operation.callback_details.callback_id
                options = _callback_options(execution, operation.operation_id)
                if options is None or options.timeout_seconds <= 0:
                    continue
                left = executor.remaining(f"callback:{callback_id}", options.timeout_seconds)
                executor._callback_timeouts[callback_id] = self._scheduler.call_later(
                    lambda arn=arn, callback_id=callback_id: executor._on_callback_timeout(arn, callback_id),
                    delay=left,
                    completion_event=completion,
                )
            executor._invoke_execution(arn)
        return len(running)

    def advance_timeouts(self, modelled_seconds: float) -> int:
        """Bring every pending execution, callback and heartbeat timeout forward by ``modelled_seconds``; returns how
        many are now due (they fire at once). Waits and retry delays keep their time."""
        return self._scheduler.advance_timeouts(modelled_seconds, self.executor)

    def pending_timeouts(self) -> int:
        """How many execution, callback and heartbeat timeouts are pending."""
        return self._scheduler.pending_timeouts(self.executor)

    def close(self) -> None:
        self.executor.shutdown()
        self._registry.shutdown()
        self._scheduler.stop()

    # --- the name index, in the same SQLite file as the executions, through the store's connections ----------

    def _init_names_table(self) -> None:
        with self.store._connection() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS duoflow_execution_names ("
                " function_name TEXT NOT NULL, execution_name TEXT NOT NULL,"
                " execution_arn TEXT NOT NULL, payload TEXT NOT NULL,"
                " PRIMARY KEY (function_name, execution_name))"
            )

    def _lookup_name(self, function_name: str, name: str) -> tuple[str, str] | None:
        with self.store._connection() as conn:
            row = conn.execute(
                "SELECT execution_arn, payload FROM duoflow_execution_names"
                " WHERE function_name = ? AND execution_name = ?",
                (function_name, name),
            ).fetchone()
            if row is None:
                # The execution is saved before its name row: a crash in between leaves an execution without one.
                # It is still the execution of that name (its input is in its start input).
                row = conn.execute(
                    "SELECT durable_execution_arn, data FROM executions WHERE function_name = ? AND execution_name = ?",
                    (function_name, name),
                ).fetchone()
                if row is not None:
                    return row[0], json.loads(row[1])["StartInput"]["Input"]
        return None if row is None else (row[0], row[1])

    def _remember_name(self, function_name: str, name: str, arn: str, payload: str) -> None:
        with self.store._connection() as conn:
            conn.execute("INSERT INTO duoflow_execution_names VALUES (?, ?, ?, ?)", (function_name, name, arn, payload))


def _lacks_retry_details(event: Event) -> bool:
    return event.step_succeeded_details is not None and event.step_succeeded_details.retry_details is None


def _in_environment(environment: FunctionEnvironment | None, handler: Callable) -> Callable:
    """``handler`` run as its function: the durable SDK then runs the body and its branches on its own pools,
    which carry the function's environment (patches/python_stdlib.py)."""

    def invoke(event, context):  # noqa: ANN001
        with running_as(environment):
            return handler(event, context)

    return invoke


def _callback_options(execution: Execution, operation_id: str) -> Any:
    """The options a callback was created with (its timeouts), from the execution's recorded updates."""
    options = None
    for update in execution.updates:
        if update.operation_id == operation_id and update.callback_options and update.action.value == "START":
            options = update.callback_options
    return options
