"""Local-runtime speed-ups that change no behaviour, each guarded by a test in tests/runtime/test_speedups.py
that fails if the pinned library moves what it relies on. Each was found by profiling a burst of loan
applications (README, "The benchmark"); the figures are from this 2-core machine.

moto's Step Functions
* it parses a state machine's definition with ANTLR on every ``start_execution`` (tens of ms of CPU); the
  parsed program is a tree of immutable components (every per-execution value lives in the Environment), so
  one parse per definition serves every execution.
* it evaluates a JSONata expression by writing every variable's value into the expression's text, parsing
  that text, and for a text result parsing and evaluating it twice more to check its type. Here each
  expression is parsed once per concurrent use (programs are pooled; moto evaluates each state on a new
  thread) and evaluated with the variables bound (which also spares moto's text encoding, which does not
  escape quotes in strings); an undefined result and any error go through moto's own path, so its checks and
  error events stay moto's.
* it parses a JSONPath (ResultPath, InputPath, a Parameters path …) with its PLY grammar each time a state
  uses it; the parsed paths are immutable trees, so each path is parsed once.
* it builds a new boto3 client for every Task (and ignores the Task's credentials when it does); clients are
  thread-safe, so one per service and region.
* it finds an execution by reading its state machine's list of executions from the start; a watcher
  following hundreds of runs read those lists hundreds of times a second. Here each state machine gets an
  index by ARN, extended with the executions appended since the last lookup (moto only appends).

moto's DynamoDB
* ``TransactWriteItems`` deep-copies every table it touches, whole, so that it can roll back a cancelled
  transaction: its cost grows with the table (100 ms a transaction after a few hundred loans). Here it keeps a
  copy of the items the transaction names (the only ones it can change) and puts those back instead.
* ``Query`` sorts every item of the table, then keeps those with the asked partition key. Here a query on the
  table's key reads that partition alone; a query on an index is given, unsorted, the items that have the
  index's partition key attributes (moto skips the others, and sorts the matches by their full key
  afterwards, so what it returns, in which order, is the same).
* it writes an answer by walking the botocore model member by member: for every attribute of every item it
  asks each of AttributeValue's ten members for a value (two thirds of a query's time). moto's items are
  already in the wire's shape (``{"S": "..."}``, ``{"M": {...}}``), so an attribute value made only of
  strings, numbers-as-strings, booleans, maps and lists is written as it is; anything else (binary, a value
  of another type) goes through moto's walk.

moto's request handling and botocore
* every request to moto lists the response class's methods (``inspect.getmembers``) to check that the action
  is one of them; here the check looks up that one name.
* botocore builds its User-Agent header twice per request from the same parts (SDK, platform, config, the
  features the call used); here each client's header is built once per set of features and reused.

The durable SDKs
* the SDK ends each invocation by waiting up to ``_STOP_SIGNAL_POLL_SECONDS`` (0.1 s) for its checkpoint
  thread to notice the stop signal; 10 ms keeps the same protocol with a tenth of the idle time.
* ``Operation.from_json_dict`` deep-copies the data it is given before converting its timestamps; the store
  reads every execution from JSON it has just parsed and keeps no reference to, so inside
  ``freshly_parsed()`` (the store's reads) the copy is skipped. A loan's executions are read some forty times.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNAL_POLL_SECONDS = 0.01

_installed = False
SWITCH = "DUOFLOW_SPEEDUPS"  # "0" leaves them out: the runtime then runs the libraries as they come


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip() != "0"


def install() -> None:
    global _installed
    if _installed:
        return
    import aws_durable_execution_sdk_python.state as durable_state
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    programs: dict[str, Any] = {}
    lock = threading.Lock()

    def parsed_once(self: ExecutionWorker) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        with lock:  # a cold definition is parsed by the first execution; the others wait for it
            if definition not in programs:
                programs[definition] = AmazonStateLanguageParser.parse(definition)[0]
            return programs[definition]

    ExecutionWorker._get_evaluation_entrypoint = parsed_once
    durable_state._STOP_SIGNAL_POLL_SECONDS = STOP_SIGNAL_POLL_SECONDS
    _install_jsonata_programs()
    _install_client_cache()
    _install_dynamodb_item_rollback()
    _install_dynamodb_partition_query()
    _install_fresh_operation_data()
    _install_plain_attribute_values()
    _install_execution_index()
    _install_action_lookup()
    _install_user_agent_memo()
    _install_jsonpath_cache()
    _installed = True


def _install_jsonata_programs() -> None:
    import jsonata
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
    from moto.stepfunctions.parser.asl.component.intrinsic.jsonata import get_intrinsic_functions_declarations
    from moto.stepfunctions.parser.asl.jsonata.jsonata import (
        compose_jsonata_expression,
        extract_jsonata_variable_references,
    )

    from duoflow.runtime.jsonata_bridge import plain_json

    moto_eval_body = StringJSONata._eval_body
    idle: dict[str, list[Any]] = {}  # expression -> programs no evaluation is using
    lock = threading.Lock()

    @contextmanager
    def program_for(expression: str) -> Iterator[Any]:
        """A parsed program of ``expression`` for this evaluation alone (a program keeps per-evaluation state),
        reused by later evaluations on any thread (moto evaluates each state on a new thread)."""
        with lock:
            programs = idle.setdefault(expression, [])
            program = programs.pop() if programs else None
        if program is None:
            functions = get_intrinsic_functions_declarations(extract_jsonata_variable_references(expression))
            program = jsonata.Jsonata(compose_jsonata_expression(expression, [functions]))
        # $now() and $millis() read the time of "the current program" of the thread: building one makes it
        # current; a reused program is made current here, as if just built.
        jsonata.Jsonata.CURRENT.jsonata = program
        try:
            yield program
        finally:
            with lock:
                idle[expression].append(program)

    def evaluate(expression: str, bindings: dict[str, Any]) -> Any:
        with program_for(expression) as program:
            return program.evaluate(None, bindings)

    def eval_body(self: StringJSONata, env: Any) -> None:
        store = env.variable_store
        bindings = {"states": env.states._states_data, **store._outer_scope, **store._inner_scope}
        try:
            result = evaluate(self.expression, bindings)
        except Exception:  # noqa: BLE001 - moto's path raises the error the way moto reports it
            return moto_eval_body(self, env)
        if result is None and not evaluate(f"$exists({self.expression})", bindings):
            return moto_eval_body(self, env)  # undefined: moto raises its States.QueryEvaluationError
        env.stack.append(None if result is None else plain_json(result))
        return None

    StringJSONata._eval_body = eval_body


def _install_client_cache() -> None:
    import importlib

    from moto.stepfunctions.parser.asl.utils import boto_client

    make_client = boto_client.boto_client_for
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached_client(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's boto_client_for ignores state_credentials (every client signs with the same fake keys), so a
        # Task with Credentials gets the same client it would have built (tests/runtime/test_speedups.py).
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = make_client(region=region, service=service)
            return clients[(region, service)]

    for module_name in CLIENT_USERS:
        module = importlib.import_module(module_name)
        if getattr(module, "boto_client_for", None) is make_client:
            module.boto_client_for = cached_client
    boto_client.boto_client_for = cached_client


_TASKS = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
CLIENT_USERS = [
    f"{_TASKS}.lambda_eval_utils",
    *(
        f"{_TASKS}.service.state_task_service_{name}"
        for name in ("aws_sdk", "dynamodb", "sns", "sqs", "sfn", "events", "unsupported")
    ),
]


class _CopyModule:
    """Stands in for the ``copy`` module inside a library module whose ``deepcopy`` a subclass narrows; every
    other name (``copy.copy`` …) is the module's own."""

    def __getattr__(self, name: str) -> Any:
        import copy

        return getattr(copy, name)


class _TablesKeptInPlace(_CopyModule):
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a table is "copied" as itself (its
    transaction keeps copies of the items it names instead); anything else is deep-copied as before."""

    def __init__(self, table_class: type) -> None:
        self._table_class = table_class

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        import copy

        return value if isinstance(value, self._table_class) else copy.deepcopy(value, memo)


def _install_dynamodb_item_rollback() -> None:
    import copy

    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models.table import Table

    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        """(table, partition key, sort key, a copy of the item or None) for each item the transaction names,
        found the way moto finds them; an operation moto will refuse names nothing and changes nothing."""
        named = []
        for operation in transact_items:
            for kind, details in operation.items():
                table = backend.tables.get(details.get("TableName", ""))
                if table is None:
                    continue
                key = (
                    {
                        attribute: details["Item"][attribute]
                        for attribute in (table.hash_key_attr, table.range_key_attr)
                        if attribute
                    }
                    if kind == "Put"
                    else details["Key"]
                )
                partition, sort = backend.get_keys_value(table, key)
                named.append((table, partition, sort, copy.deepcopy(table.get_item(partition, sort))))
        return named

    def put_back(table: Any, partition: Any, sort: Any, item: Any) -> None:
        if not table.range_key_attr:
            if item is None:
                table.items.pop(partition, None)
            else:
                table.items[partition] = item
            return
        if item is not None:
            table.items[partition][sort] = item
            return
        bucket = table.items.get(partition)
        if bucket is not None:
            bucket.pop(sort, None)
            if not bucket:
                del table.items[partition]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        try:
            named = named_items(self, transact_items)
        except Exception:  # noqa: BLE001 - a malformed request: moto's own path reports it, with its whole-table copy
            dynamodb_models.copy = copy
            try:
                return transact(self, transact_items)
            finally:
                dynamodb_models.copy = tables_in_place
        try:
            return transact(self, transact_items)
        except BaseException:
            for table, partition, sort, item in reversed(named):
                put_back(table, partition, sort, item)
            raise

    tables_in_place = _TablesKeptInPlace(Table)
    dynamodb_models.copy = tables_in_place
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def _install_dynamodb_partition_query() -> None:
    import inspect

    from moto.dynamodb.models.table import Table

    query, all_items = Table.query, Table.all_items
    parameters = inspect.signature(query)
    narrowed = threading.local()

    def candidates(self: Table) -> list[Any]:
        override = getattr(narrowed, "items", None)
        if override is not None and override[0] is self:
            return override[1]
        return all_items(self)

    def partition_query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = parameters.bind(self, *args, **kwargs).arguments
        partition, index = arguments.get("hash_key"), arguments.get("index_name")
        if index:
            try:
                keys = [key["AttributeName"] for key in self.get_index(index).schema if key["KeyType"] == "HASH"]
            except Exception:  # noqa: BLE001 - an unknown index: moto's query refuses it in its own words
                return query(self, *args, **kwargs)
            # An item without the index's partition key is not in the (sparse) index: moto skips it too.
            items = [
                item
                for bucket in self.items.values()
                for item in _bucket_items(self, bucket)
                if all(key in item.attrs for key in keys)
            ]
        elif partition is not None:
            items = _bucket_items(self, self.items.get(partition))
        else:
            return query(self, *args, **kwargs)
        narrowed.items = (self, items)
        try:
            return query(self, *args, **kwargs)
        finally:
            narrowed.items = None

    Table.all_items = candidates
    Table.query = partition_query


def _bucket_items(table: Any, bucket: Any) -> list[Any]:
    if bucket is None:
        return []
    return list(bucket.values()) if table.range_key_attr else [bucket]


_fresh = threading.local()


@contextmanager
def freshly_parsed() -> Iterator[None]:
    """Operations built in this block (on this thread) take ownership of the data they are given: it was parsed
    from JSON just now and nobody else holds it, so the SDK's defensive deep copy is skipped."""
    _fresh.active = True
    try:
        yield
    finally:
        _fresh.active = False


class _CopyUnlessFresh(_CopyModule):
    """Stands in for the ``copy`` module inside the durable SDK's ``lambda_service``."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        import copy

        return value if getattr(_fresh, "active", False) else copy.deepcopy(value, memo)


def _install_fresh_operation_data() -> None:
    import aws_durable_execution_sdk_python.lambda_service as lambda_service

    lambda_service.copy = _CopyUnlessFresh()


DYNAMODB_ATTRIBUTE_VALUE_MEMBERS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


def is_plain_attribute_value(value: Any) -> bool:
    """A DynamoDB attribute value that is already what the wire carries: one member, of the JSON type the
    member has on the wire (no binary: that one moto base64-encodes on the way out)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((member, inner),) = value.items()
    if member in ("S", "N"):
        return isinstance(inner, str)
    if member in ("BOOL", "NULL"):
        return isinstance(inner, bool)
    if member in ("SS", "NS"):
        return isinstance(inner, list) and all(isinstance(element, str) for element in inner)
    if member == "M":
        return isinstance(inner, dict) and all(
            isinstance(name, str) and is_plain_attribute_value(element) for name, element in inner.items()
        )
    if member == "L":
        return isinstance(inner, list) and all(is_plain_attribute_value(element) for element in inner)
    return False


def _install_plain_attribute_values() -> None:
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and set(shape.members) == DYNAMODB_ATTRIBUTE_VALUE_MEMBERS
            and is_plain_attribute_value(value)
        ):
            self._default_serialize(serialized, value, shape, key)
            return
        walk(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = serialize_structure


def _install_execution_index() -> None:
    import weakref

    from moto.stepfunctions.exceptions import ExecutionDoesNotExist
    from moto.stepfunctions.models import StepFunctionBackend

    # id(state machine) -> (the machine, weakly; how many of its executions are indexed; ARN -> position in its
    # list). Positions, not executions, and a weak reference: the index keeps nothing alive, and the entry
    # goes when its machine does (moto deep-copies machines, so nothing is stored on them).
    indexes: dict[int, tuple[Any, int, dict[str, int]]] = {}
    lock = threading.Lock()

    def forget(key: int) -> Any:
        return lambda _gone: indexes.pop(key, None)

    def describe_execution(self: Any, execution_arn: str) -> Any:
        self._validate_execution_arn(execution_arn)
        state_machine = self._get_state_machine_for_execution(execution_arn)
        executions = state_machine.executions
        with lock:
            machine, read, positions = indexes.get(id(state_machine), (None, 0, {}))
            if machine is None or machine() is not state_machine:
                machine, read, positions = weakref.ref(state_machine, forget(id(state_machine))), 0, {}
            for position in range(read, len(executions)):
                positions.setdefault(executions[position].execution_arn, position)  # the first, as moto's scan
            indexes[id(state_machine)] = (machine, len(executions), positions)
        position = positions.get(execution_arn)
        if position is None:
            raise ExecutionDoesNotExist("Execution Does Not Exist: '" + execution_arn + "'")
        return executions[position]

    StepFunctionBackend.describe_execution = describe_execution


class _FunctionNames:
    """What moto's ``method_names_from_class`` answers, for the one question moto asks of it: is ``name`` a
    function of the class (its own or inherited)?"""

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        import inspect

        return isinstance(name, str) and inspect.isfunction(getattr(self._cls, name, None))


def _install_action_lookup() -> None:
    import moto.core.responses as moto_responses

    moto_responses.method_names_from_class = _FunctionNames


def _install_user_agent_memo() -> None:
    import weakref

    from botocore.context import get_context
    from botocore.useragent import UserAgentString

    build = UserAgentString.to_string
    built: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], str]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def to_string(self: UserAgentString) -> str:
        context = get_context()
        features = (
            frozenset(context.features) if context is not None else None,
            frozenset(self._client_features or ()),
        )
        with lock:
            known = built.setdefault(self, {})
            if features not in known:
                known[features] = build(self)
            return known[features]

    UserAgentString.to_string = to_string


JSONPATH_USERS = (
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.utils.json_path",
)


def _install_jsonpath_cache() -> None:
    import importlib

    lock = threading.Lock()
    for module_name in JSONPATH_USERS:
        module = importlib.import_module(module_name)
        parse = module.parse
        parsed: dict[str, Any] = {}

        def parsed_once(path: str, _parse: Any = parse, _parsed: dict[str, Any] = parsed) -> Any:
            with lock:
                if path not in _parsed:
                    _parsed[path] = _parse(path)
                return _parsed[path]

        parsed_once.stock = parse  # type: ignore[attr-defined]
        module.parse = parsed_once
