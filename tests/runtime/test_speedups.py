"""The local runtime's speed-ups (the ``SPEEDUPS`` of duoflow/runtime/patches/) change nothing a workflow can observe; these
tests pin that, and fail loudly when a library upgrade moves what they patch."""

from __future__ import annotations

import gc
import importlib
import json
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aws_durable_execution_sdk_python.state as durable_state
import pytest
from moto.stepfunctions.parser.asl.parse import asl_parser

from duoflow.runtime import patches
from duoflow.runtime.patches import durable_sdk, moto_dynamodb, moto_stepfunctions
from tests.runtime.conftest import (
    create_state_machine,
    durable_start_input,
    run_state_machine,
    unique,
    wait_sfn_done,
)

# These test the speed-ups themselves; the run with DUOFLOW_SPEEDUPS=0 (make test runs tests/runtime both ways)
# checks that the runtime behaves the same without them.
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not patches.speedups_enabled(), reason="DUOFLOW_SPEEDUPS=0: the speed-ups are left out")

JSONATA_MACHINE = {
    "QueryLanguage": "JSONata",
    "StartAt": "Remember",
    "States": {
        "Remember": {
            "Type": "Pass",
            "Assign": {"quote": "{% $states.input.text %}", "items": "{% $states.input.items %}"},
            "Next": "Shape",
        },
        "Shape": {
            "Type": "Pass",
            "Output": {
                "echo": "{% $quote %}",
                "total": "{% $sum($items) %}",
                "doubled": "{% $map($items, function($v) { $v * 2 }) %}",
                "as_text": "{% $string({'q': $quote}) %}",
                "nothing": "{% null %}",
                "partition": "{% $partition($items, 2) %}",
            },
            "End": True,
        },
    },
}


def test_jsonata_with_variables_quotes_and_intrinsics_evaluates_as_in_moto(sfn):
    text = 'she said "yes" \\ and left'
    description, _, _ = run_state_machine(sfn, JSONATA_MACHINE, {"text": text, "items": [1, 2, 3]})

    assert description["status"] == "SUCCEEDED", description.get("cause")
    assert json.loads(description["output"]) == {
        "echo": text,
        "total": 6,
        "doubled": [2, 4, 6],
        "as_text": json.dumps({"q": text}, separators=(",", ":")),
        "nothing": None,
        "partition": [[1, 2], [3]],
    }


def test_an_undefined_jsonata_result_is_still_moto_s_query_evaluation_error(sfn):
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Missing",
        "States": {"Missing": {"Type": "Pass", "Output": {"x": "{% $states.input.absent %}"}, "End": True}},
    }
    description, _, _ = run_state_machine(sfn, machine, {"present": 1})
    assert description["status"] == "FAILED"
    assert description["error"] == "States.QueryEvaluationError"


def test_a_definition_is_parsed_once_and_its_executions_stay_independent(sfn, monkeypatch):
    calls = []
    parse = asl_parser.AmazonStateLanguageParser.parse

    def counting(definition: str):
        calls.append(definition)
        return parse(definition)

    monkeypatch.setattr(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(counting))
    machine = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        "Comment": unique("parsed-once"),  # a definition no earlier test parsed
    }
    arn = create_state_machine(sfn, machine)
    assert len(calls) == 1  # create_state_machine validates by parsing; that parse serves the executions

    def run(n: int) -> list:
        execution = sfn.start_execution(
            stateMachineArn=arn, name=unique("each"), input=json.dumps({"items": [n, n + 1]})
        )
        return json.loads(wait_sfn_done(sfn, execution["executionArn"])["output"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(run, range(8)))

    assert outputs == [[n, n + 1] for n in range(8)]
    assert len(calls) == 1


def _original(patch_module, target):
    """What the speed-up of ``patch_module`` replaced at ``target``: the library's own attribute."""
    [original] = [hook.original for hook in patch_module._patcher._hooks if hook.target == target]
    return original


def _same_graph(left, right, at: str = "left", pairs: dict | None = None) -> str | None:
    """Where ``left`` and ``right`` differ (None: nowhere): equal values in the same shape, object for object (each
    object of one stands for exactly one of the other, so an object shared in one, such as a parse node's
    ``parent``, is shared alike in the other); classes, functions and enum members are the same objects."""
    import enum
    import re as regex
    import types
    from decimal import Decimal

    pairs = {} if pairs is None else pairs  # a left object's id -> its right object; ("right", id) -> the left one
    if isinstance(left, str | bytes | int | float | bool | Decimal | type(None)):
        return None if type(left) is type(right) and left == right else f"{at}: {left!r} != {right!r}"
    if isinstance(left, type | enum.Enum | types.FunctionType | types.BuiltinFunctionType | types.ModuleType):
        return None if left is right else f"{at}: {left!r} is not {right!r}"
    if id(left) in pairs:
        return None if pairs[id(left)] is right else f"{at}: shared differently"
    if ("right", id(right)) in pairs:
        return f"{at}: shared differently"
    pairs[id(left)], pairs["right", id(right)] = right, left
    if type(left) is not type(right):
        return f"{at}: {type(left).__name__} != {type(right).__name__}"
    if isinstance(left, regex.Pattern):
        return None if (left.pattern, left.flags) == (right.pattern, right.flags) else f"{at}: {left} != {right}"
    if isinstance(left, list | tuple):
        if len(left) != len(right):
            return f"{at}: {len(left)} items != {len(right)}"
        found = (_same_graph(a, b, f"{at}[{i}]", pairs) for i, (a, b) in enumerate(zip(left, right, strict=True)))
        return next((difference for difference in found if difference), None)
    if isinstance(left, set | frozenset):
        return None if left == right else f"{at}: {left} != {right}"
    if isinstance(left, dict):
        if list(left) != list(right):
            return f"{at}: keys {list(left)} != {list(right)}"
        found = (_same_graph(value, right[key], f"{at}[{key!r}]", pairs) for key, value in left.items())
        return next((difference for difference in found if difference), None)
    if hasattr(left, "__dict__") or hasattr(type(left), "__slots__"):
        if getattr(left, "__dict__", {}).keys() != getattr(right, "__dict__", {}).keys():
            return f"{at}: attributes {list(vars(left))} != {list(vars(right))}"
        names = [*getattr(left, "__dict__", {}), *(n for c in type(left).__mro__ for n in getattr(c, "__slots__", ()))]
        found = (
            _same_graph(getattr(left, name, None), getattr(right, name, None), f"{at}.{name}", pairs) for name in names
        )
        return next((difference for difference in found if difference), None)
    return f"{at}: {type(left).__name__} cannot be compared here"  # a new kind of object: teach this function


DEFINITIONS = sorted((ROOT / "statemachines").glob("*.asl.json"))


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda path: path.name)
def test_a_program_kept_on_disk_is_object_for_object_the_one_the_parse_makes(definition, tmp_path, monkeypatch):
    from duoflow.runtime.patches import _asl_programs

    text = definition.read_text()
    _asl_programs.ParsedPrograms(tmp_path).program(text)  # one process parses and keeps it
    [kept] = tmp_path.glob("*.pickle")

    parsed = []
    monkeypatch.setattr(_asl_programs, "parse", lambda definition: parsed.append(definition))
    loaded = _asl_programs.ParsedPrograms(tmp_path).program(text)  # the next one loads it
    assert parsed == [] and kept.name == _asl_programs.file_name(text)

    monkeypatch.undo()
    assert _same_graph(_asl_programs.parse(text), loaded) is None


def test_a_kept_program_that_does_not_load_is_parsed_again_and_replaced(tmp_path):
    from duoflow.runtime.patches import _asl_programs

    text = JSON_PATH_MACHINE_TEXT
    (tmp_path / _asl_programs.file_name(text)).write_bytes(b"torn")
    program = _asl_programs.ParsedPrograms(tmp_path).program(text)
    assert _same_graph(_asl_programs.parse(text), program) is None
    assert _same_graph(program, _asl_programs.ParsedPrograms(tmp_path).program(text)) is None  # replaced

    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    assert _asl_programs.ParsedPrograms(unwritable).program(text) is not None  # kept in memory only


def test_a_program_that_cannot_be_written_whole_leaves_no_partial_file(tmp_path, monkeypatch):
    """A failed write or rename (a full disk) keeps the program in memory and leaves nothing in the directory."""
    from duoflow.runtime.patches import _asl_programs

    def full_disk(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_asl_programs.os, "replace", full_disk)
    programs = _asl_programs.ParsedPrograms(tmp_path)
    assert programs.program(JSON_PATH_MACHINE_TEXT) is programs.program(JSON_PATH_MACHINE_TEXT)
    assert list(tmp_path.iterdir()) == []


def test_without_a_home_directory_programs_are_kept_in_memory_only(monkeypatch):
    from duoflow.runtime.patches import _asl_programs

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(_asl_programs, "default_directory", no_home)
    programs = _asl_programs.ParsedPrograms()
    assert programs.program(JSON_PATH_MACHINE_TEXT) is programs.program(JSON_PATH_MACHINE_TEXT)


def test_an_invalid_definition_is_refused_each_time_and_never_kept(tmp_path):
    from duoflow.runtime.patches import _asl_programs

    programs = _asl_programs.ParsedPrograms(tmp_path)
    for _ in range(2):
        with pytest.raises(asl_parser.ASLParserException):
            programs.program('{"StartAt": "A", "States": {"A": {"Type": "Nope"}}}')
    assert list(tmp_path.iterdir()) == []


def test_the_kept_programs_are_the_ones_used_last(tmp_path, monkeypatch):
    from duoflow.runtime.patches import _asl_programs

    monkeypatch.setattr(_asl_programs, "MAX_KEPT", 4)

    def definition(n: int) -> str:
        return json.dumps({"Comment": f"kept {n}", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})

    def kept() -> set[str]:
        return {path.name for path in tmp_path.glob("*.pickle")}

    for n in range(4):
        _asl_programs.ParsedPrograms(tmp_path).program(definition(n))
    assert kept() == {_asl_programs.file_name(definition(n)) for n in range(4)}
    for path in tmp_path.glob("*.pickle"):
        os.utime(path, ns=(1, 1))  # all used long ago...
    _asl_programs.ParsedPrograms(tmp_path).program(definition(0))  # ...but the first, loaded now
    _asl_programs.ParsedPrograms(tmp_path).program(definition(4))  # a fifth: the directory is pruned to three
    assert len(kept()) == 3
    assert {_asl_programs.file_name(definition(n)) for n in (0, 4)} <= kept()


JSON_PATH_MACHINE_TEXT = json.dumps(
    {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "ResultPath": "$.echo", "End": True}}}
)


def test_a_runtime_starts_without_moto_s_batch_and_ec2_and_a_batch_request_still_loads_them(tmp_path):
    """moto's ASL interpreter imports ``moto.batch.utils`` (for its JobStatus enum), and ``moto.batch``'s
    ``__init__`` imports the whole Batch and EC2 backends; the speed-up puts the package in place without its
    ``__init__``, which runs on first use. In a fresh process, as a server starts."""
    script = f"""
import sys, boto3
from duoflow.runtime import LocalRuntime, TimeControl
runtime = LocalRuntime([], state_dir={str(tmp_path)!r}, time_control=TimeControl.scaled(0.001))
runtime.start()
try:
    import moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch as task
    from moto.batch.utils import JobStatus
    assert task.JobStatus is JobStatus
    print(sorted(name for name in ("moto.batch.models", "moto.ec2.models") if name in sys.modules))
    print(boto3.client("batch", region_name="us-east-1").describe_job_queues()["jobQueues"])
    import moto.batch
    print(sorted(name for name in ("moto.batch.models", "moto.ec2.models") if name in sys.modules))
    print(moto.batch.batch_backends is sys.modules["moto.batch.models"].batch_backends)
finally:
    runtime.stop()
"""
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["[]", "[]", "['moto.batch.models', 'moto.ec2.models']", "True"]


def test_the_patched_hooks_are_where_the_pinned_libraries_have_them(runtime):
    assert runtime._patches.speedups, "LocalRuntime.start() installs the speed-ups"
    assert durable_state._STOP_SIGNAL_POLL_SECONDS == durable_sdk.STOP_SIGNAL_POLL_SECONDS
    from moto.stepfunctions.parser.asl.utils import boto_client

    for module_name in moto_stepfunctions.CLIENT_USERS:
        module = importlib.import_module(module_name)
        assert module.boto_client_for is boto_client.boto_client_for, module_name
    assert boto_client.boto_client_for.__name__ == "cached_client"


def test_moto_builds_task_clients_without_the_task_credentials(runtime):
    """The client cache serves Tasks with and without Credentials alike: moto's factory never reads them."""
    import ast
    import inspect

    from moto.stepfunctions.parser.asl.utils import boto_client

    factory = inspect.getclosurevars(boto_client.boto_client_for).nonlocals["make_client"]
    body = ast.parse(inspect.getsource(factory)).body[0]
    names_used = {node.id for statement in body.body for node in ast.walk(statement) if isinstance(node, ast.Name)}
    assert "state_credentials" not in names_used


def test_the_durable_store_keeps_one_connection_per_thread_and_commits_every_call(tmp_path):
    """ReusedConnectionsStore overrides the SDK store's ``_connection``; every write must still be committed
    when the call returns (another connection sees it), and a failed call must leave nothing behind."""
    import sqlite3

    from aws_durable_execution_sdk_python_testing.stores.sqlite import SQLiteExecutionStore

    from duoflow.runtime.durable_host import ReusedConnectionsStore

    assert "_connection" in vars(SQLiteExecutionStore), "the pinned SDK store no longer opens connections there"
    store = ReusedConnectionsStore.create_and_initialize(tmp_path / "store.sqlite3")
    with store._connection() as first, store._connection() as second:
        assert first is second
    with store._connection() as conn:
        conn.execute("CREATE TABLE probe (n INTEGER)")
        conn.execute("INSERT INTO probe VALUES (1)")
    try:
        with store._connection() as conn:
            conn.execute("INSERT INTO probe VALUES (2)")
            raise RuntimeError("the call fails")
    except RuntimeError:
        pass
    other = sqlite3.connect(tmp_path / "store.sqlite3")
    assert other.execute("SELECT n FROM probe").fetchall() == [(1,)]


def test_moto_request_routers_are_built_before_any_concurrent_request(runtime):
    """LocalRuntime.start() builds moto's per-service routers one at a time (CPython 3.11's AST constructor,
    which werkzeug uses to compile them, fails under concurrent first use); they must be where moto keeps them."""
    from moto.core.routing import get_service_router

    from duoflow.runtime import LocalRuntime

    for service, _ in LocalRuntime.WARM_UP_CALLS:
        assert get_service_router(service)._routers, f"moto built no request router for {service} at start"


# --- moto's models: kept by what holds them, not by moto's list of every instance ---------------------------------


def _moto_lines(wanted) -> list[tuple[str, str]]:
    """Every line of moto's package that ``wanted`` picks, as (its file within the package, the line stripped)."""
    import moto

    package = Path(moto.__file__).parent
    return sorted(
        (str(path.relative_to(package)), line.strip())
        for path in package.rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if wanted(line)
    )


def _live(cls) -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if type(thing) is cls)


def test_the_items_a_query_and_a_scan_answer_with_are_not_kept_once_answered(ddb):
    from moto.dynamodb.models.dynamo_type import Item

    client, name = ddb
    one_partition = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p07"}}}
    items_before, tracked_before = _live(Item), len(Item.instances_tracked)
    for _ in range(10):
        assert len(client.query(TableName=name, **one_partition)["Items"]) == 5
        assert len(client.scan(TableName=name)["Items"]) == 200
    assert _live(Item) == items_before  # moto: 2,050 more (each answer's copies, for good)
    assert len(Item.instances_tracked) == tracked_before


def test_s3_objects_are_still_recorded_for_moto_s_reset_to_close_their_buffers(runtime):
    from moto.s3.models import FakeKey

    s3 = runtime.client("s3")
    bucket = unique("tracked")
    s3.create_bucket(Bucket=bucket)
    before = len(FakeKey.instances_tracked)
    s3.put_object(Bucket=bucket, Key="document.txt", Body=b"kept")
    assert len(FakeKey.instances_tracked) > before
    assert s3.get_object(Bucket=bucket, Key="document.txt")["Body"].read() == b"kept"


def test_moto_reads_its_lists_of_model_instances_only_where_the_speed_up_keeps_recording():
    """moto's BaseModel.__new__ appends every instance; the speed-up records only the classes moto reads back. A
    new reader of ``instances_tracked`` in moto (or a new way of recording) fails here."""
    import inspect

    from moto.core.common_models import BaseModel

    from duoflow.runtime.patches import moto_core

    assert "cls.instances_tracked.append(instance)" in inspect.getsource(BaseModel)
    assert "instance = super().__new__(cls)" in inspect.getsource(BaseModel)
    uses = _moto_lines(lambda line: "instances_tracked" in line)
    assert uses == [
        ("core/base_backend.py", "cls.instances_tracked: ClassVar[list[BaseModel]] = []  # type: ignore"),
        ("core/common_models.py", "cls.instances_tracked.append(instance)  # type: ignore[attr-defined]"),
        ("core/model_instances.py", "model.instances_tracked = []  # type: ignore[attr-defined]"),
        ("moto_api/_internal/responses.py", "for instance in model.instances_tracked:  # type: ignore[attr-defined]"),
        ("s3/models.py", "for key in FakeKey.instances_tracked:  # type: ignore"),
        ("s3/models.py", "for mp in FakeMultipart.instances_tracked:  # type: ignore"),
    ]
    assert moto_core.STILL_TRACKED == {("moto.s3.models", "FakeKey"), ("moto.s3.models", "FakeMultipart")}


def test_a_stream_record_is_kept_pickled_and_each_read_is_moto_s_record_anew(runtime):
    import datetime

    import moto.dynamodb.models.table as table_module
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    dynamodb, name = runtime.client("dynamodb"), unique("streamed")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    item = {"id": {"S": "a"}, "n": {"N": "1"}, "doc": {"M": {"l": {"L": [{"S": "x"}, {"B": b"\x00"}]}}}}
    dynamodb.put_item(TableName=name, Item=item)
    dynamodb.put_item(TableName=name, Item={**item, "n": {"N": "2"}})
    table = dynamodb_backends[runtime.account_id][runtime.region].tables[name]
    shard = table.stream_shard

    assert [type(kept) for kept in shard.items] == [moto_dynamodb.KeptStreamRecord] * 2
    first, again = shard.items[1].to_json(), shard.items[1].record
    assert first == again and first is not again and first["dynamodb"] is not again["dynamodb"]
    first["dynamodb"]["NewImage"]["n"] = {"N": "99"}  # a reader's copy: the kept record does not change
    assert shard.items[1].record["dynamodb"]["NewImage"] == {**item, "n": {"N": "2"}}
    assert isinstance(again["dynamodb"]["ApproximateCreationDateTime"], datetime.datetime)
    # the record moto builds for the same change, field for field (but its own id, time, and size, which counts the
    # time's digits)
    before = Item(DynamoType({"S": "a"}), None, item)
    after = next(iter(table.all_items()))
    sequence = int(again["dynamodb"]["SequenceNumber"])
    moto_s = table_module.StreamRecord.stock(table, "NEW_AND_OLD_IMAGES", "MODIFY", before, after, sequence).record
    for record in (moto_s, again):
        del record["eventID"], record["dynamodb"]["ApproximateCreationDateTime"], record["dynamodb"]["SizeBytes"]
    assert again == moto_s


def test_moto_makes_stream_records_in_one_place_and_reads_them_only_by_to_json():
    """``StreamShard.add`` makes each record by the module's name ``StreamRecord`` (the speed-up's hook); the kept
    records answer ``to_json()`` and ``record``; a new reader of moto's stream records fails here."""
    import inspect

    import moto.dynamodb.models.table as table_module
    from moto.dynamodb.models.table import StreamShard

    assert inspect.getsource(table_module).count("StreamRecord(") == 2  # its class and the one call below
    lines = [line.strip() for line in inspect.getsource(StreamShard).splitlines() if "self.items" in line]
    assert lines == [
        "self.items: list[StreamRecord] = []",
        "seq = len(self.items) + self.starting_sequence_number",
        "self.items.append(StreamRecord(self.table, t, event_name, old, new, seq))",
        "arn, self.items, esm.event_source_arn",  # moto's own event source mappings: none in the runtime
        "self.items = []",
        "return [i.to_json() for i in self.items[start:end]]",
    ]
    readers = _moto_lines(lambda line: "stream_shard.items" in line or re.search(r"\bsend_dynamodb_items\(", line))
    assert readers == [
        ("awslambda/models.py", "def send_dynamodb_items("),
        ("dynamodb/models/table.py", "result = get_backend(self.account_id, region).send_dynamodb_items("),
        ("dynamodbstreams/models.py", "stream_shard.items"),  # its length: the latest sequence number
    ]
    from moto.awslambda.models import LambdaBackend

    assert "record = item.to_json()" in inspect.getsource(LambdaBackend.send_dynamodb_items)


# --- DynamoDB: transactions roll back the items they name; queries read one partition ---------------------------


@pytest.fixture(scope="module")
def ddb(runtime):
    client = runtime.client("dynamodb")
    name = unique("speedups")
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for partition in range(40):
        for sort in range(5):
            item = {"pk": {"S": f"p{partition:02}"}, "sk": {"S": f"s{sort}"}, "n": {"N": str(sort)}}
            if sort == 0 and partition % 4 == 0:
                item["kind"] = {"S": "pending"}
            client.put_item(TableName=name, Item=item)
    return client, name


def _items(client, name):
    return client.scan(TableName=name, ConsistentRead=True)["Items"]


def _put(name, partition, sort):
    return {"Put": {"TableName": name, "Item": {"pk": {"S": partition}, "sk": {"S": sort}}}}


def _set_n(name, partition, sort, value):
    return {
        "Update": {
            "TableName": name,
            "Key": {"pk": {"S": partition}, "sk": {"S": sort}},
            "UpdateExpression": "SET n = :n",
            "ExpressionAttributeValues": {":n": {"N": value}},
        }
    }


def test_a_cancelled_transaction_changes_no_item(ddb):
    client, name = ddb
    before = _items(client, name)
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(
            TransactItems=[
                _put(name, "new", "s0"),
                _set_n(name, "p01", "s1", "99"),
                {"Delete": {"TableName": name, "Key": {"pk": {"S": "p02"}, "sk": {"S": "s2"}}}},
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"pk": {"S": "p03"}, "sk": {"S": "s3"}},
                        "ConditionExpression": "n = :other",
                        "ExpressionAttributeValues": {":other": {"N": "7"}},
                    }
                },
            ]
        )
    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _items(client, name) == before


def test_a_committed_transaction_writes_every_item_and_copies_only_those(ddb, monkeypatch):
    from moto.dynamodb.models.dynamo_type import Item

    client, name = ddb
    copies = []
    item_copy = Item.__deepcopy__

    def counting(self, memo):
        copies.append(self)
        return item_copy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    client.transact_write_items(
        TransactItems=[
            _put(name, "committed", "s0"),
            _set_n(name, "p05", "s1", "42"),
        ]
    )
    monkeypatch.undo()
    got = client.get_item(TableName=name, Key={"pk": {"S": "p05"}, "sk": {"S": "s1"}}, ConsistentRead=True)
    assert got["Item"]["n"] == {"N": "42"}
    assert "Item" in client.get_item(TableName=name, Key={"pk": {"S": "committed"}, "sk": {"S": "s0"}})
    # moto alone would deep-copy all 200 items of the table; here the one existing item named (twice: our
    # rollback copy and moto's update_item's own copy)
    assert len(copies) <= 2


def test_moto_still_copies_whole_tables_in_its_transaction(ddb):
    """The item rollback relies on moto's TransactWriteItems copying each table with ``copy.deepcopy`` looked
    up in its module at call time; if that moves, the patch no longer holds and this fails."""
    import inspect

    import moto.dynamodb.models as dynamodb_models

    stock = inspect.getclosurevars(dynamodb_models.DynamoDBBackend.transact_write_items).nonlocals["transact"]
    source = inspect.getsource(stock)
    assert "original_table_state[table_name] = copy.deepcopy(" in source
    assert "self.tables[table_name] = original_table_state[table_name]" in source
    assert type(dynamodb_models.copy).__name__ == "_TablesKeptInPlace"
    assert dynamodb_models.copy.copy is __import__("copy").copy  # the rest of the module is the module's own


def test_a_query_on_the_key_reads_its_partition_in_order_with_pages(ddb):
    client, name = ddb
    query = {
        "TableName": name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":pk": {"S": "p07"}, ":s": {"S": "s"}},
    }
    forward = client.query(**query)["Items"]
    assert [item["sk"]["S"] for item in forward] == ["s0", "s1", "s2", "s3", "s4"]
    backward = client.query(**query, ScanIndexForward=False)["Items"]
    assert [item["sk"]["S"] for item in backward] == ["s4", "s3", "s2", "s1", "s0"]
    first = client.query(**query, Limit=2)
    second = client.query(**query, Limit=2, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [item["sk"]["S"] for item in first["Items"] + second["Items"]] == ["s0", "s1", "s2", "s3"]
    assert (
        client.query(**{**query, "ExpressionAttributeValues": {":pk": {"S": "absent"}, ":s": {"S": "s"}}})["Items"]
        == []
    )


def test_a_query_on_an_index_finds_every_match_in_key_order(ddb):
    client, name = ddb
    found = client.query(
        TableName=name,
        IndexName="by-kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "pending"}},
    )["Items"]
    assert [item["pk"]["S"] for item in found] == [f"p{partition:02}" for partition in range(0, 40, 4)]
    with pytest.raises(client.exceptions.ClientError, match="Invalid index"):
        client.query(
            TableName=name,
            IndexName="no-such-index",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "pending"}},
        )


def test_moto_queries_pick_candidates_through_all_items(runtime):
    """The partition query narrows what ``Table.all_items`` returns while moto's query runs; if moto's query
    stops reading its candidates there, the narrowing would silently do nothing (or wrong) and this fails."""
    import inspect

    from moto.dynamodb.models.table import Table

    stock = inspect.getclosurevars(Table.query).nonlocals["query"]
    source = inspect.getsource(stock)
    assert source.count("self.all_items()") == 2
    assert "possible_results.sort(key=lambda item: item.range_key)" in source
    assert "self.sorted_items(" in source


def test_every_kind_of_attribute_value_comes_back_as_it_was_written(ddb, monkeypatch):
    """Plain values take the short way out of moto's serializer, binary ones moto's walk; both arrive whole."""
    client, name = ddb
    taken = []
    plain = moto_dynamodb.is_plain_attribute_value

    def spying(value):
        answer = plain(value)
        taken.append(answer)
        return answer

    monkeypatch.setattr(moto_dynamodb, "is_plain_attribute_value", spying)
    item = {
        "pk": {"S": "kinds"},
        "sk": {"S": "all"},
        "text": {"S": 'quote " and unicode é'},
        "empty": {"S": ""},
        "number": {"N": "-12.50"},
        "yes": {"BOOL": True},
        "nothing": {"NULL": True},
        "names": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "nested": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"BOOL": False}}}]}}},
        "blob": {"B": b"\x00\x01binary"},
        "blobs": {"BS": [b"\x02", b"\x03"]},
    }
    client.put_item(TableName=name, Item=item)
    got = client.get_item(TableName=name, Key={"pk": {"S": "kinds"}, "sk": {"S": "all"}}, ConsistentRead=True)["Item"]

    assert {key: value for key, value in got.items() if key not in ("names", "numbers", "blobs")} == {
        key: value for key, value in item.items() if key not in ("names", "numbers", "blobs")
    }
    assert sorted(got["names"]["SS"]) == ["a", "b"]
    assert sorted(got["numbers"]["NS"]) == ["1", "2.5"]
    assert sorted(got["blobs"]["BS"]) == [b"\x02", b"\x03"]
    assert True in taken, "plain values no longer take the short way: moto's AttributeValue shape moved"
    assert False in taken, "binary values must go through moto's walk"


def test_only_wire_shaped_values_count_as_plain():
    plain = moto_dynamodb.is_plain_attribute_value
    assert plain({"S": "x"}) and plain({"N": "1"}) and plain({"NULL": True})
    assert plain({"M": {"a": {"L": [{"SS": ["x"]}]}}})
    assert not plain({"N": 1})  # moto's walk turns it into "1"
    assert not plain({"B": "AAE="}) and not plain({"BS": []})
    assert not plain({"S": "x", "N": "1"}) and not plain({}) and not plain("x")
    assert not plain({"M": {"a": {"B": b"\x00"}}})


def test_operations_read_by_the_store_skip_the_sdk_copy_and_others_keep_it(runtime):
    import inspect

    import aws_durable_execution_sdk_python.lambda_service as lambda_service
    from aws_durable_execution_sdk_python.lambda_service import Operation

    assert "data_copy = copy.deepcopy(data)" in inspect.getsource(Operation.from_json_dict.__func__)
    assert type(lambda_service.copy).__name__ == "_CopyUnlessFresh"
    assert lambda_service.copy.copy is __import__("copy").copy
    data = {
        "Id": "op-1",
        "Type": "STEP",
        "Status": "SUCCEEDED",
        "StartTimestamp": 1_700_000_000_000,
        "StepDetails": {"Result": '{"ok": true}', "Attempt": 1},
    }
    outside = Operation.from_json_dict(data)
    assert data["StartTimestamp"] == 1_700_000_000_000, "outside the store's reads the caller's data is copied"
    with durable_sdk.freshly_parsed():
        inside = Operation.from_json_dict(data)
    assert inside == outside
    assert data["StartTimestamp"] == outside.start_timestamp, "inside, the operation took the data as its own"


def test_the_durable_store_keeps_running_executions_in_memory_and_writes_every_save_through(tmp_path, monkeypatch):
    """A running execution is loaded from memory (the object the SDK saved, as its in-memory store gives), yet every
    save is on disk when it returns (a new store, as after a crash, reads it); a completed one stays in memory among
    the last ``RECENTLY_COMPLETED_KEPT`` completed (a save after its end writes only what changed), then leaves."""
    import datetime

    from aws_durable_execution_sdk_python_testing.execution import Execution
    from aws_durable_execution_sdk_python_testing.stores.memory import InMemoryExecutionStore
    from aws_durable_execution_sdk_python_testing.stores.sqlite import SQLiteExecutionStore

    from duoflow.runtime.durable_host import ReusedConnectionsStore

    assert {"save", "load", "update"} <= vars(SQLiteExecutionStore).keys(), "the pinned SDK store changed shape"
    # What keeping it in memory relies on: the SDK's own in-memory store (the stock runner's) hands out the object it
    # saved, so the executor is written for one shared Execution per ARN.
    stock = InMemoryExecutionStore()
    shared = Execution.new(durable_start_input(execution_name="stock"))
    stock.save(shared)
    assert stock.load(shared.durable_execution_arn) is shared
    path = tmp_path / "store.sqlite3"
    store = ReusedConnectionsStore.create_and_initialize(path)
    execution = Execution.new(durable_start_input())
    execution.start(now=datetime.datetime.now(datetime.UTC))
    store.save(execution)
    arn = execution.durable_execution_arn
    assert store.load(arn) is execution  # no rebuild from JSON while it runs

    execution.consecutive_failed_invocation_attempts = 2
    store.update(execution)

    def after_a_crash() -> ReusedConnectionsStore:  # a new store on the file, as a restarted runtime has
        return ReusedConnectionsStore(path)

    assert after_a_crash().load(arn).consecutive_failed_invocation_attempts == 2

    execution.complete_success('{"ok": true}', now=datetime.datetime.now(datetime.UTC))
    store.update(execution)
    assert after_a_crash().load(arn).is_complete
    assert store.load(arn) is execution  # the executor reads it again just after its end: still in memory

    # The executor records the invocation's completion after the end: only that row is written.
    statements: list[str] = []
    with store._connection() as conn:
        conn.set_trace_callback(statements.append)
    now = datetime.datetime.now(datetime.UTC)
    execution.record_invocation_completion(now, now, "request-1")
    store.save(execution)
    with store._connection() as conn:
        conn.set_trace_callback(None)
    assert not any(statement.startswith("DELETE") for statement in statements), statements
    assert sum(statement.startswith("INSERT OR REPLACE INTO duoflow_execution_parts") for statement in statements) == 1
    assert after_a_crash().load(arn).to_json_dict() == execution.to_json_dict()

    # Older completed executions leave memory: read from the database again, a new object with the same content.
    monkeypatch.setattr(ReusedConnectionsStore, "RECENTLY_COMPLETED_KEPT", 3)
    for _ in range(3):
        later = Execution.new(durable_start_input())
        later.start(now=now)
        later.complete_success("{}", now=now)
        store.save(later)
        assert store.load(later.durable_execution_arn) is later
    loaded = store.load(arn)
    assert loaded is not execution and loaded.to_json_dict() == execution.to_json_dict()
    assert len(store._recently_completed) == 3 and arn not in store._written

    # Left out (DUOFLOW_SPEEDUPS=0): every load is a fresh object from the database, as the SDK store gives.
    plain = ReusedConnectionsStore.create_and_initialize(tmp_path / "plain.sqlite3")
    plain.keeps_running_in_memory = False
    again = Execution.new(execution.start_input)
    again.start(now=datetime.datetime.now(datetime.UTC))
    plain.save(again)
    assert plain.load(again.durable_execution_arn) is not again


def test_the_durable_store_finds_an_execution_by_function_and_name_through_an_index(tmp_path):
    from duoflow.runtime.durable_host import ReusedConnectionsStore

    store = ReusedConnectionsStore.create_and_initialize(tmp_path / "store.sqlite3")
    with store._connection() as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT data FROM executions WHERE function_name = ? AND execution_name = ?",
            ("f", "n"),
        ).fetchall()
    assert any("idx_function_execution_name" in row[-1] for row in plan), plan


def test_executions_are_described_by_arn_among_many_and_unknown_ones_are_refused(sfn):
    machine = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}, "Comment": unique("index")}
    arn = create_state_machine(sfn, machine)
    started = [sfn.start_execution(stateMachineArn=arn, name=unique("many"))["executionArn"] for _ in range(12)]
    for execution_arn in started:  # looked up in an order unlike the order they started in
        wait_sfn_done(sfn, execution_arn)
    assert [sfn.describe_execution(executionArn=a)["executionArn"] for a in reversed(started)] == started[::-1]
    later = sfn.start_execution(stateMachineArn=arn, name=unique("later"))["executionArn"]
    assert sfn.describe_execution(executionArn=later)["executionArn"] == later  # appended after the first lookups
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=later.rsplit(":", 1)[0] + ":never-started")


def test_moto_keeps_executions_in_a_list_it_only_appends_to():
    import inspect

    import moto.stepfunctions.models as sfn_models
    import moto.stepfunctions.parser.models as parser_models

    for module in (sfn_models, parser_models):
        source = inspect.getsource(module)
        assert ".executions.remove(" not in source and ".executions = " not in source, module.__name__
        assert ".executions.append(execution)" in source, module.__name__


def test_moto_asks_only_whether_the_action_is_a_method_of_its_response_class():
    import inspect

    import moto.core.responses as moto_responses
    from moto.dynamodb.responses import DynamoHandler

    source = inspect.getsource(moto_responses.BaseResponse.call_action)
    assert "method_names = method_names_from_class(self.__class__)" in source
    uses = re.findall(r"\bmethod_names\b", source)
    assert len(uses) == 2 and "if action in method_names:" in source, "moto uses the names for more than a test"
    names = moto_responses.method_names_from_class(DynamoHandler)
    assert "put_item" in names and "call_action" in names  # its own and inherited functions
    assert "not_an_action" not in names and "__class__" not in names and "region" not in names


BRANCHING_MACHINE = {
    "Comment": "every kind of history event moto writes without a Task: branches, iterations, a wait, a choice, a failure",
    "StartAt": "Both",
    "States": {
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "One", "States": {"One": {"Type": "Pass", "Result": 1, "End": True}}},
                {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 0, "End": True}}},
            ],
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$",
            "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [{"Variable": "$[0]", "NumericEquals": 1, "Next": "Refuse"}],
            "Default": "Refuse",
        },
        "Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "the first branch said 1"},
    },
}


def test_moto_answers_alike_with_the_names_kept_and_with_its_own_walk(runtime, sfn, monkeypatch):
    """The attribute lookup speed-up (moto_core: ``ResponseSerializer.get_value``) answers every call as moto's walk
    does, whichever way each value goes: Step Functions (JSON, its answers made of dicts), S3 (REST-XML), STS (query)
    and SNS (query, with response transformers: moto's walk)."""
    from moto.core.serialize import ResponseSerializer

    from duoflow.runtime.patches import moto_core

    described, _events, _seconds = run_state_machine(sfn, BRANCHING_MACHINE, {"items": [1, 2]})
    assert described["status"] == "FAILED"
    _done, _ran, _seconds = run_state_machine(sfn, JSONATA_MACHINE, {"text": "q", "items": [1, 2, 3]})
    execution, machine = described["executionArn"], described["stateMachineArn"]
    sns, s3 = runtime.client("sns"), runtime.client("s3")
    sns.create_topic(Name=unique("topic"))
    bucket = unique("bucket").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a/one.txt", Body=b"one", Metadata={"who": "test"})
    calls = [
        lambda: sfn.describe_execution(executionArn=execution),
        lambda: sfn.get_execution_history(executionArn=execution, maxResults=1000),
        lambda: sfn.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=7),
        lambda: sfn.list_executions(stateMachineArn=machine),
        lambda: sfn.describe_state_machine(stateMachineArn=machine),
        lambda: sfn.describe_state_machine_for_execution(executionArn=execution),
        lambda: sfn.list_state_machines(),
        lambda: sns.list_topics(),
        lambda: s3.list_objects_v2(Bucket=bucket),
        lambda: s3.list_buckets(),
        lambda: runtime.client("sts").get_caller_identity(),
    ]

    def answers() -> list[dict]:
        return [{k: v for k, v in call().items() if k != "ResponseMetadata"} for call in calls]

    kept = answers()
    walk = _original(moto_core, moto_core._ATTRIBUTE_LOOKUP)
    monkeypatch.setattr(ResponseSerializer, "get_value", walk)
    assert answers() == kept
    assert len(kept[1]["events"]) > 20 and kept[1]["events"][-1]["type"] == "ExecutionFailed"
    assert kept[7]["Topics"] and kept[8]["Contents"][0]["Key"] == "a/one.txt" and kept[10]["Account"]


def test_the_names_moto_looks_a_dict_s_value_up_under_depend_only_on_the_key_shape_and_parent():
    """What the speed-up keeps per (key, shape, parent) for a plain dict is a pure function of those: moto's alias
    providers read nothing else of the context (not the dict's contents, the path, the operation or the service),
    and moto's lookup in a dict is its item, None included, or nothing."""
    import inspect

    from moto.core import serialize, utils

    assert [provider.__name__ for provider in serialize.DEFAULT_ALIAS_PROVIDERS] == [
        "ExplicitAlias",
        "ShapeNameAlias",
        "NoAlias",
        "ShapePrefixAlias",
        "ClassPrefixAlias",
        "ModelAlias",
    ]
    readers = [
        *serialize.DEFAULT_ALIAS_PROVIDERS,
        serialize.AttributePicker.get_possible_keys,
        serialize.XFormedAttributePicker.get_possible_keys,
    ]
    for reader in readers:
        source = inspect.getsource(reader)
        read = set(re.findall(r"context\.(\w+)", source))
        assert read <= {"obj", "shape", "key"}, (reader, read)
        assert set(re.findall(r"\bobj\.(\w+)", source)) <= {"Meta", "__class__"}, reader  # a dict's: none, dict
    assert "get_value(obj, possible_key, MISSING)" in inspect.getsource(serialize.AttributePicker.__call__)
    assert utils.get_value({"a": None}, "a", utils.MISSING) is None
    assert utils.get_value({"b": 1}, "a", utils.MISSING) is utils.MISSING
    assert utils.get_value({"a": {"b": 2}}, "a.b", utils.MISSING) == 2  # a dotted name is a path: moto's walk


def _as_moto_reads_it(request) -> tuple:
    """Everything of a werkzeug request moto may read: its environ, key for key in order (the body's stream by its
    bytes and position), and what moto derives from it."""
    environ = dict(request.environ)
    stream = environ.pop("wsgi.input")
    del environ["werkzeug.request"]
    position, body = stream.tell(), stream.getvalue()
    return (list(environ.items()), position, body, list(request.headers.items()), request.raw_url, request.get_data())


def test_moto_s_requests_are_built_alike_directly_and_by_werkzeug_s_environ_builder(runtime, sfn, ddb, monkeypatch):
    """The request speed-up (moto_core: ``Request.from_primitives``) builds every request the runtime's clients make
    as werkzeug's EnvironBuilder does (Step Functions, Lambda, DynamoDB, S3 with an awkward key and metadata, SNS's
    form body, STS), and the requests botocore does not make alike too: a port, https, text and bytes values, a
    header with a newline (refused alike), a body as a stream or a form without a body (left to the builder)."""
    import io

    from botocore.awsrequest import AWSPreparedRequest
    from moto.core.request import Request

    from duoflow.runtime.patches import moto_core

    stock = _original(moto_core, moto_core._REQUEST_FROM_PRIMITIVES).__func__
    direct = Request.from_primitives.__func__
    seen: list[tuple] = []

    def recording(cls, method, url, headers, body=None):
        seen.append((method, url, dict(headers.items()), body))
        return direct(cls, method, url, headers, body)

    monkeypatch.setattr(Request, "from_primitives", classmethod(recording))
    run_state_machine(sfn, BRANCHING_MACHINE, {"items": [1, 2]})
    s3, sns = runtime.client("s3"), runtime.client("sns")
    bucket = unique("bucket").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a b/ü%2F~[x] +.txt", Body="text body", Metadata={"the_who": "a test"})
    s3.list_objects_v2(Bucket=bucket, Prefix="a b/", MaxKeys=5)
    s3.get_object(Bucket=bucket, Key="a b/ü%2F~[x] +.txt")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello & good=bye ü", Subject="s")
    runtime.client("sts").get_caller_identity()
    client, table = ddb
    client.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p01"}})
    runtime.client("lambda").list_functions()
    made = [
        ("POST", url, headers, body)
        for url, headers, body in [
            (
                "http://localhost:4566/path/x%20y;p?a=1&b=%2F",
                {"Content-Type": "application/json", "X-Bytes": b"v"},
                b"{}",
            ),
            ("https://sqs.us-east-1.amazonaws.com/", {"content-type": "text/plain", "Content-Length": "99"}, "text"),
            ("http://H.example:80/", {"Transfer-Encoding": "chunked", "x-amz-meta-a_b": "1", "X-Two": "2"}, None),
            ("http://h/", {"Content-Type": "application/json"}, b""),
            ("http://h/", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, b""),
            ("http://h/", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2"),
            ("http://h/", {}, io.BytesIO(b"streamed")),
            ("http://h/", {"X-Number": 5}, b"x"),
        ]
    ]
    hosts = {url.split("/")[2] for _, url, _, _ in seen}
    services = {"s3" if ".s3." in host else host.split(".")[0] for host in hosts}  # S3: bucket.s3.amazonaws.com
    assert services == {"states", "s3", "sns", "sts", "dynamodb", "lambda"}, hosts

    for method, url, headers, body in [*seen, *made]:
        built = [
            _as_moto_reads_it(
                build(
                    Request,
                    method,
                    url,
                    AWSPreparedRequest(method, url, headers, body, False).headers,
                    io.BytesIO(body.getvalue()) if isinstance(body, io.BytesIO) else body,  # a stream read once
                )
            )
            for build in (direct, stock)
        ]
        assert built[0] == built[1], (method, url, headers, body)
    # a multipart content type without a body: the builder writes a body of its own, with a random boundary
    multipart = direct(Request, "POST", "http://h/", {"Content-Type": "multipart/form-data; boundary=x"}, None)
    assert multipart.environ["CONTENT_TYPE"].startswith('multipart/form-data; boundary="---------------WerkzeugForm')
    streamed = io.BytesIO(b"streamed")
    assert _as_moto_reads_it(direct(Request, "PUT", "http://h/", {}, streamed))[2] == b"streamed"
    for build in (direct, stock):
        with pytest.raises(ValueError, match="newline"):
            build(Request, "POST", "http://h/", {"X-Bad": "a\nb"}, b"x")


class _Routed(Exception):
    """Raised by a handler in place of answering: which handler moto's search sent the request to."""

    def __init__(self, handler) -> None:
        self.handler = handler


def test_every_request_takes_the_route_moto_s_own_search_takes(runtime, sfn, ddb, monkeypatch):
    """The routing speed-up (moto_core: ``BotocoreStubber.process_request``) sends every request the runtime's clients
    make (a Step Functions run, DynamoDB, S3 with an awkward key, SNS, STS, Lambda's invocations) to the
    handler moto's own search sends it to; passes through, refuses or answers what no service serves as moto does,
    and follows moto's configuration when it changes (a service passed through, a whitelist)."""
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core.base_backend import BaseBackend
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.config import default_user_config
    from moto.core.exceptions import ServiceNotWhitelisted

    from duoflow.runtime.patches import moto_core

    search = _original(moto_core, moto_core._REQUEST_ROUTING)
    kept = BotocoreStubber.process_request
    stubber = BotocoreStubber()
    stubber.enabled = True
    seen: list[tuple[str, str]] = []

    def recording(self, request):
        seen.append((request.method, request.url))
        return kept(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", recording)
    run_state_machine(sfn, BRANCHING_MACHINE, {"items": [1, 2]})
    s3, sns = runtime.client("s3"), runtime.client("sns")
    bucket = unique("bucket").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a b/ü%2F~[x] +.txt", Body="text body")
    s3.list_objects_v2(Bucket=bucket, Prefix="a b/", MaxKeys=5)
    s3.get_object(Bucket=bucket, Key="a b/ü%2F~[x] +.txt")
    sns.publish(TopicArn=sns.create_topic(Name=unique("topic"))["TopicArn"], Message="hello")
    runtime.client("sts").get_caller_identity()
    client, table = ddb
    client.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p01"}})
    functions = runtime.client("lambda")
    functions.list_functions()
    with pytest.raises(functions.exceptions.ResourceNotFoundException):
        functions.invoke(FunctionName=unique("no-such-function"), Payload=b"{}")
    monkeypatch.setattr(BotocoreStubber, "process_request", kept)
    hosts = {url.split("/")[2] for _, url in seen}
    services = {"s3" if ".s3." in host else host.split(".")[0] for host in hosts}  # S3: bucket.s3.amazonaws.com
    assert services == {"states", "s3", "sns", "sts", "dynamodb", "lambda"}, hosts
    assert any(url.endswith("/invocations") for _, url in seen)

    stock_urls = BaseBackend.urls
    routes = kept.routes  # the routing speed-up's table of routes found

    def spied_urls(backend):  # moto's table of URLs, each handler raising with itself instead of answering
        def routed(handler):
            def handle(*args):
                raise _Routed(handler)

            return handle

        return {url: routed(handler) for url, handler in stock_urls.fget(backend).items()}

    def reached(process_request, method, url):
        """The handler ``process_request`` sends a bodiless request for ``url`` to, or what it answers instead."""
        try:
            return process_request(stubber, AWSPreparedRequest(method, url, {}, None, False))
        except _Routed as routed:
            return routed.handler

    def handlers_reached(method, url):
        """Where moto's search sends the request, and where the routing speed-up does: with no route kept, then
        with the route it kept."""
        with monkeypatch.context() as spying:
            spying.setattr(BaseBackend, "urls", property(spied_urls))
            routes.clear()
            try:
                return reached(search, method, url), reached(kept, method, url), reached(kept, method, url)
            finally:
                routes.clear()  # the spying handlers go; the real ones are found again

    made = [
        ("GET", "http://localhost:4566/anything"),  # passed through (the runtime's configuration)
        ("GET", "https://nothing.example.com/x"),  # no AWS URL: moto answers nothing
        ("GET", "https://no-such-service.us-east-1.amazonaws.com/x"),  # an AWS URL no service serves: a 404
    ]
    for method, url in [*seen, *made]:
        moto_s, found, kept_route = handlers_reached(method, url)
        assert found == moto_s and kept_route == moto_s, url
        assert callable(moto_s) or (method, url) in made, url
    assert [handlers_reached(*request)[0] for request in made[:2]] == [None, None]
    assert handlers_reached(*made[2])[0][0] == 404

    table_url = next(url for _, url in seen if url.split("/")[2].startswith("dynamodb."))
    assert callable(handlers_reached("POST", table_url)[1])
    core = default_user_config["core"]
    monkeypatch.setitem(core, "passthrough", {**core["passthrough"], "services": ["dynamodb"]})
    assert handlers_reached("POST", table_url) == (None, None, None)
    monkeypatch.setitem(core, "passthrough", {**core["passthrough"], "services": []})
    monkeypatch.setitem(core, "service_whitelist", ["s3"])
    for process_request in (search, kept):
        with pytest.raises(ServiceNotWhitelisted):
            reached(process_request, "POST", table_url)


def test_moto_s_random_strings_are_the_ones_moto_s_choices_make_from_the_same_seed(runtime):
    """The random-string speed-up (moto_core: ``MotoRandom.get_random_string``) draws what ``Random.choice`` draws:
    a seeded moto makes the same request ids and resource ids with it as without."""
    from moto.moto_api._internal.moto_random import MotoRandom

    from duoflow.runtime.patches import moto_core

    stock = _original(moto_core, moto_core._RANDOM_STRING)
    assert MotoRandom.get_random_string is not stock
    for seed in range(20):
        one_loop, moto_s = MotoRandom(seed), MotoRandom(seed)
        for length, include_digits, lower_case in [
            (52, True, False),
            (20, True, False),
            (8, False, True),
            (1, True, True),
        ]:
            made = [one_loop.get_random_string(length, include_digits, lower_case) for _ in range(3)]
            assert made == [stock(moto_s, length, include_digits, lower_case) for _ in range(3)]
        assert one_loop.getstate() == moto_s.getstate()  # and the draws after them are the same too
    assert len(MotoRandom().get_random_string(length=52)) == 52 and MotoRandom().get_random_string(0) == ""


def test_the_user_agent_is_the_one_botocore_builds_for_each_set_of_features(runtime):
    import inspect

    from botocore.context import start_as_current_context
    from botocore.useragent import UserAgentString, register_feature_id

    build = inspect.getclosurevars(UserAgentString.to_string).nonlocals["build"]
    agent = runtime.client("dynamodb")._user_agent_creator
    assert agent.to_string() == build(agent)
    with start_as_current_context():
        register_feature_id("WAITER")
        assert agent.to_string() == build(agent)
        assert "m/" in agent.to_string()
    assert agent.to_string() == build(agent)
    other = agent.with_client_config(agent._client_config)
    other.set_client_features({"RETRY_MODE_ADAPTIVE"})
    assert other.to_string() == build(other) != agent.to_string()


def test_in_process_requests_carry_botocore_s_authorization_header_less_the_signature(runtime, monkeypatch):
    """The header is botocore's own (scope, signed headers, date, token) with a placeholder signature; S3's signer
    and presigned URLs still compute theirs; and moto reads the same account and region from it."""
    import datetime
    import inspect

    from botocore import auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from duoflow.runtime.patches import botocore_signing

    signed = inspect.getclosurevars(auth.SigV4Auth.add_auth).nonlocals["signed"]
    assert (signed.__module__, signed.__qualname__) == ("botocore.auth", "SigV4Auth.add_auth")  # botocore's own
    monkeypatch.setattr(auth, "get_current_datetime", lambda: datetime.datetime(2026, 12, 3, 10, 0, 0))
    credentials = Credentials("AKIDEXAMPLE", "secret", "session-token")

    def prepared(signer_class, sign):
        request = AWSRequest("POST", "https://states.us-east-1.amazonaws.com/", data=b'{"a": 1}')
        request.headers["Content-Type"] = "application/x-amz-json-1.0"
        sign(signer_class(credentials, "states", "us-east-1"), request)
        return dict(request.headers.items())

    fast, full = prepared(auth.SigV4Auth, auth.SigV4Auth.add_auth), prepared(auth.SigV4Auth, signed)
    assert fast["Authorization"] == full["Authorization"].rsplit("Signature=", 1)[0] + (
        f"Signature={botocore_signing.NOT_COMPUTED}"
    )
    assert {k: v for k, v in fast.items() if k != "Authorization"} == {
        k: v for k, v in full.items() if k != "Authorization"
    }
    assert "X-Amz-Date" in fast and fast["X-Amz-Security-Token"] == "session-token"
    s3 = prepared(auth.S3SigV4Auth, auth.S3SigV4Auth.add_auth)
    assert botocore_signing.NOT_COMPUTED not in s3["Authorization"]
    assert s3 == prepared(auth.S3SigV4Auth, signed)
    url = runtime.client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    assert "Signature=" in url and botocore_signing.NOT_COMPUTED not in url
    arn = runtime.client("sns").create_topic(Name=unique("signed"))["TopicArn"]
    assert arn.startswith(f"arn:aws:sns:{runtime.region}:123456789012:")


def test_pooled_jsonata_programs_keep_concurrent_evaluations_apart_and_now_current(sfn):
    """Programs are reused across threads but never shared by two evaluations at once; $now() is the time of
    the evaluation that asks (a reused program would otherwise answer with the time it was last used)."""
    import datetime

    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Stamp",
        "States": {
            "Stamp": {
                "Type": "Pass",
                "Output": {"n": "{% $states.input.n %}", "squared": "{% $states.input.n * $states.input.n %}"},
                "Next": "When",
            },
            "When": {"Type": "Pass", "Output": "{% $merge([$states.input, {'at': $now()}]) %}", "End": True},
        },
        "Comment": unique("pooled"),
    }
    arn = create_state_machine(sfn, machine)

    def run(n: int) -> tuple[dict, datetime.datetime]:
        started = datetime.datetime.now(datetime.UTC)
        execution = sfn.start_execution(stateMachineArn=arn, name=unique("pool"), input=json.dumps({"n": n}))
        return json.loads(wait_sfn_done(sfn, execution["executionArn"])["output"]), started

    run(0)  # leaves programs in the pool, stamped with this moment
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, range(1, 13)))

    for n, (output, started) in enumerate(results, start=1):
        assert (output["n"], output["squared"]) == (n, n * n)
        at = datetime.datetime.fromisoformat(output["at"].replace("Z", "+00:00"))
        assert at >= started - datetime.timedelta(milliseconds=5), (at, started)


def test_moto_parses_jsonpaths_where_the_cache_is_installed(runtime):
    import inspect

    from jsonpath_ng import parse as plain_parse
    from jsonpath_ng.ext import parse as ext_parse
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    assert "result_expr = parse(self.result_path_src)" in inspect.getsource(result_path.ResultPath._eval_body)
    assert "input_expr = parse(path)" in inspect.getsource(json_path.extract_json)
    assert result_path.parse.stock is plain_parse and json_path.parse.stock is ext_parse
    assert json_path.parse("$.a.b") is json_path.parse("$.a.b")
    assert json_path.extract_json("$.a.b", {"a": {"b": [1, 2]}}) == [1, 2]


def test_a_program_without_a_timeout_runs_in_its_executions_thread_and_one_with_a_timeout_in_moto_s(
    runtime, sfn, monkeypatch
):
    """``Program.eval`` runs a program without ``TimeoutSeconds`` in the thread that evaluates it (the execution's);
    one with ``TimeoutSeconds`` keeps moto's thread, the timer that times it out."""
    import inspect

    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    stock = inspect.getsource(Program.eval.stock)  # moto's: a thread joined for TimeoutSeconds (None: for ever)
    assert "worker_thread = threading.Thread(target=super().eval, args=(env,), daemon=True)" in stock
    assert "worker_thread.join(timeout=timeout)" in stock and "env.set_timed_out()" in stock

    threads: dict[str, list[str]] = {"execution": [], "program": []}
    execution_logic, program_body = ExecutionWorker._execution_logic, Program._eval_body

    def noting_execution(self):
        threads["execution"].append(threading.current_thread().name)
        execution_logic(self)

    def noting_program(self, env):
        threads["program"].append(threading.current_thread().name)
        program_body(self, env)

    monkeypatch.setattr(ExecutionWorker, "_execution_logic", noting_execution)
    monkeypatch.setattr(Program, "_eval_body", noting_program)

    untimed = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
    description, _, _ = run_state_machine(sfn, untimed, {})
    assert description["status"] == "SUCCEEDED" and json.loads(description["output"]) == {"ok": True}
    assert threads["program"] == threads["execution"]  # one thread: the execution's

    for noted in threads.values():
        noted.clear()
    timed = {  # a modelled hour's wait (3.6 s real here) against a one-second execution timeout
        "TimeoutSeconds": 1,
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    description, _, _ = run_state_machine(sfn, timed, {})
    assert description["status"] == "TIMED_OUT"
    assert threads["program"] != threads["execution"]  # moto's thread, whose join timed out


# --- UpdateItem: an update expression parsed once, its tree copied by pickle, each processing map built once ---

UPDATE_EXPRESSIONS = [
    "SET execution_arn = :arn",
    "SET #status = :outcome, outcome = :outcome, reason = :reason, outcome_json = :outcome_json, updated_at = :at",
    "SET a.b[1] = if_not_exists(c, :zero) + :one, d = list_append(d, :more) REMOVE e[2], f ADD g :n DELETE h :set",
]


def _objects(tree) -> set[int]:
    from moto.dynamodb.parsing.ast_nodes import Node

    found, pending = set(), [tree]
    while pending:
        value = pending.pop()
        if isinstance(value, list | Node) and id(value) not in found:
            found.add(id(value))
            pending.extend(value if isinstance(value, list) else vars(value).values())
    return found


def _stock_parse(expression: str):
    """What moto's ``UpdateExpressionParser.make`` does: tokenize, then parse."""
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.tokens import ExpressionTokenizer

    return UpdateExpressionParser(ExpressionTokenizer.make_list(expression)).parse()


def test_an_update_expression_is_parsed_once_and_each_caller_gets_a_tree_of_its_own(runtime, monkeypatch):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.tokens import ExpressionTokenizer

    tokenize = ExpressionTokenizer.make_list
    tokenized = []

    def counting(expression):
        tokenized.append(expression)
        return tokenize(expression)

    monkeypatch.setattr(ExpressionTokenizer, "make_list", counting)
    for template in UPDATE_EXPRESSIONS:
        expression = template.replace("SET ", f"SET {unique('fresh').replace('-', '_')} = :fresh, ", 1)
        trees = [UpdateExpressionParser.make(expression) for _ in range(3)]
        assert tokenized.count(expression) == 1  # parsed once; the other two came from the pickle
        for tree in trees:
            assert _same_graph(tree, _stock_parse(expression)) is None
        assert not _objects(trees[0]) & _objects(trees[1]) and not _objects(trees[1]) & _objects(trees[2])


def test_an_update_expression_moto_refuses_is_refused_each_time_alike(runtime):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    refusals = []
    for _ in range(2):
        with pytest.raises(Exception) as refused:
            UpdateExpressionParser.make("SET a = ")
        refusals.append((type(refused.value), str(refused.value)))
    assert refusals[0] == refusals[1] and "Syntax error" in refusals[0][1]


def test_a_tree_of_parse_nodes_is_copied_object_for_object_as_deepcopy_copies_it(runtime):
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing import validators

    for expression in UPDATE_EXPRESSIONS:
        tree = _stock_parse(expression)
        assert moto_dynamodb.is_plain_tree(tree)
        copied = validators.deepcopy(tree)  # the validator's copy: the speed-up
        assert _same_graph(copied, copy.deepcopy(tree)) is None and _same_graph(copied, tree) is None
        assert not _objects(copied) & _objects(tree)
    # a value the parser does not build is deep-copied as before
    tree = _stock_parse(UPDATE_EXPRESSIONS[0])
    tree.children.append(DynamoType({"S": "resolved"}))
    assert not moto_dynamodb.is_plain_tree(tree) and not moto_dynamodb.is_plain_tree({"a": 1})
    assert validators.deepcopy(tree).children[-1] == DynamoType({"S": "resolved"})


def test_moto_parses_and_copies_update_expressions_where_the_speed_ups_hook_them(runtime):
    """The speed-ups rely on moto calling ``UpdateExpressionParser.make`` for each UpdateItem, the validator copying
    its tree with the ``deepcopy`` its module holds, and every traverser's map being a dict display of classes
    (built afresh at each call, the same each time); if any of that moves, this fails."""
    import ast
    import inspect
    import textwrap

    import moto.dynamodb.models as dynamodb_models
    import moto.dynamodb.responses as dynamodb_responses
    from moto.dynamodb.parsing import ast_nodes, expressions, validators

    assert "UpdateExpressionParser.make(update_expression)" in inspect.getsource(dynamodb_models.DynamoDBBackend)
    assert "UpdateExpressionParser.make(update_expression)" in inspect.getsource(dynamodb_responses.DynamoHandler)
    moto_make = "token_list = ExpressionTokenizer.make_list(expression_str)\n        return cls(token_list).parse()"
    assert moto_make in inspect.getsource(expressions)  # what _stock_parse repeats: tokenize, then parse
    assert "self.node_to_validate = deepcopy(expression)" in inspect.getsource(validators.Validator.__init__)
    assert validators.deepcopy is not __import__("copy").deepcopy
    source = inspect.getsource(ast_nodes.DepthFirstTraverser)
    assert "return tuple(k for k in self._processing_map().keys())" in source
    assert "for class_key, processor in self._processing_map().items():" in source

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    traversers = list(subclasses(ast_nodes.DepthFirstTraverser))
    assert len(traversers) >= 10
    for traverser in traversers:
        assert "nodes_to_be_processed" not in vars(traverser) and "process" not in vars(traverser), traverser
        (function,) = ast.parse(textwrap.dedent(inspect.getsource(traverser._processing_map))).body
        returned = [node.value for node in ast.walk(function) if isinstance(node, ast.Return)]
        assert len(returned) == 1 and isinstance(returned[0], ast.Dict), traverser
        assert all(isinstance(key, ast.Name) for key in returned[0].keys), traverser


# --- conditional writes: a condition expression parsed once with its names and values --------------------------

CONDITION_EXPRESSIONS = [
    ("attribute_not_exists(entry)", {}, {}),  # every audit-trail entry
    ("attribute_not_exists(#id) OR #expiry < :now", {"#id": "id", "#expiry": "expiration"}, {":now": {"N": "17"}}),
    (
        "#s = :a AND (size(#l) BETWEEN :x AND :y OR contains(#t, :c)) AND NOT begins_with(#p.q[1], :b)",
        {"#s": "s", "#l": "l", "#t": "t", "#p": "p"},
        {":a": {"S": "x"}, ":x": {"N": "1"}, ":y": {"N": "5"}, ":c": {"S": "q"}, ":b": {"S": "pre"}},
    ),
    (
        "#k IN (:m, :l) AND attribute_type(#k, :t)",
        {"#k": "k"},
        {":m": {"M": {"a": {"S": "1"}}}, ":l": {"L": []}, ":t": {"S": "M"}},
    ),
    ("", {}, {}),  # no condition: moto's default
]


def _stock_condition(expression, names, values):
    """moto's parse of a condition expression, and the names and values it found."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    parse = _original(moto_dynamodb, moto_dynamodb._PARSE_CONDITION_EXPRESSION)
    parser = ConditionExpressionParser(expression, names, values)
    return parse(parser), parser.expr_attr_names_found, parser.expr_attr_values_found


def test_a_condition_expression_is_parsed_once_with_its_names_and_values_and_each_parse_gets_a_tree_of_its_own(
    runtime, monkeypatch
):
    from moto.dynamodb import comparisons
    from moto.dynamodb.comparisons import ConditionExpressionParser

    lexed = []
    lex = ConditionExpressionParser._lex_condition_expression

    def counting(parser):
        lexed.append(parser.condition_expression)
        return lex(parser)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_condition_expression", counting)
    for template, names, values in CONDITION_EXPRESSIONS:
        fresh = unique("fresh").replace("-", "_")
        expression = f"{template} AND attribute_exists({fresh})" if template else template
        parsed = []
        for _ in range(3):
            parser = comparisons.create_condition_expression_parser(expression, names, json.loads(json.dumps(values)))
            parsed.append((parser.parse(), parser.expr_attr_names_found, parser.expr_attr_values_found))
        assert lexed.count(expression) == (1 if expression else 0)  # parsed once; twice more from the pickle
        stock = _stock_condition(expression, names, values)
        for tree, names_found, values_found in parsed:
            assert _same_graph(tree, stock[0]) is None and (names_found, values_found) == stock[1:]
        assert parsed[0][0] is not parsed[1][0] and parsed[1][0] is not parsed[2][0]
        # another value is another parse: the tree holds the values
        other = {key: {"S": "other"} if "S" in value else value for key, value in values.items()}
        if other != values:
            lexed.clear()
            again = comparisons.create_condition_expression_parser(expression, names, other).parse()
            assert lexed == [expression]
            assert _same_graph(again, _stock_condition(expression, names, other)[0]) is None


def test_a_condition_expression_moto_refuses_is_refused_each_time_alike(runtime):
    from moto.dynamodb.comparisons import ConditionExpressionParser

    for expression, names, values in [
        ("a = ", {}, {}),
        ("#missing = :v", {}, {":v": {"S": "x"}}),
        ("((a = b))", {}, {}),
    ]:
        refusals = []
        for _ in range(2):
            with pytest.raises(Exception) as refused:
                ConditionExpressionParser(expression, names, values).parse()
            refusals.append((type(refused.value), str(refused.value)))
        assert refusals[0] == refusals[1], expression


def test_a_conditional_write_is_checked_by_its_kept_condition_as_by_moto_s(ddb):
    from botocore.exceptions import ClientError

    client, table = ddb
    key = {"pk": {"S": unique("p")}, "sk": {"S": "s"}}
    client.put_item(TableName=table, Item={**key, "n": {"N": "1"}}, ConditionExpression="attribute_not_exists(pk)")
    for _ in range(2):  # the second time, each condition comes from the pickle
        with pytest.raises(ClientError, match="ConditionalCheckFailed"):
            client.put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(pk)")
        client.put_item(
            TableName=table,
            Item={**key, "n": {"N": "2"}},
            ConditionExpression="#n < :two OR #n = :two",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":two": {"N": "2"}},
        )
    with pytest.raises(ClientError, match="unused in expressions"):  # what moto checks with the names found
        client.put_item(
            TableName=table, Item=key, ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames={"#u": "u"}
        )
    assert client.get_item(TableName=table, Key=key)["Item"]["n"] == {"N": "2"}


def test_each_update_expression_processor_builds_its_map_once(ddb, monkeypatch):
    from moto.dynamodb.parsing.validators import OverlappingPathsValidator

    client, name = ddb
    built = []
    build = OverlappingPathsValidator._processing_map

    def counting(self):
        built.append(self)
        return build(self)

    monkeypatch.setattr(OverlappingPathsValidator, "_processing_map", counting)
    client.update_item(
        TableName=name,
        Key={"pk": {"S": "p07"}, "sk": {"S": "s1"}},
        UpdateExpression="SET n = :n, extra = :extra, more = :more",
        ExpressionAttributeValues={":n": {"N": "70"}, ":extra": {"S": "x"}, ":more": {"BOOL": True}},
    )
    assert len(built) == len(set(map(id, built))) == 1  # one validation, one map (moto: 34 for this expression)
    item = client.get_item(TableName=name, Key={"pk": {"S": "p07"}, "sk": {"S": "s1"}}, ConsistentRead=True)["Item"]
    assert (item["n"], item["extra"], item["more"]) == ({"N": "70"}, {"S": "x"}, {"BOOL": True})


ACTION_COUNT_CASES = [
    *UPDATE_EXPRESSIONS,
    "SET a = :a SET b = :b",
    "ADD a :a ADD b :b",
    "REMOVE a REMOVE b",
    "SET a = :a ADD b :b ADD c :c REMOVE d REMOVE e",
    "REMOVE d REMOVE e SET a = :a, b = :b SET c = :c",
    "SET a = list_append(if_not_exists(a, :empty), :more), b = :b REMOVE c[1], c[2] DELETE s :s",
    "SET " + ", ".join(f"a{number} = :v{number}" for number in range(40)),
]


def test_counting_clauses_refuses_and_passes_exactly_as_moto_s_pass(runtime):
    """moto's quadratic pass (the base class's ``traverse``) and the counts added up give the same tree, or the
    same refusal naming the same clause."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.validators import ActionCountValidator

    def outcome(traverse, tree):
        try:
            return "passed", traverse(ActionCountValidator(), tree)
        except Exception as refused:  # noqa: BLE001 - the refusal is what is compared
            return type(refused), str(refused)

    refused = set()
    for expression in ACTION_COUNT_CASES:
        stock_tree, counted_tree = _stock_parse(expression), _stock_parse(expression)
        stock = outcome(DepthFirstTraverser.traverse, stock_tree)
        counted = outcome(ActionCountValidator.traverse, counted_tree)
        assert stock[0] == counted[0], expression
        if stock[0] == "passed":
            assert counted[1] is counted_tree and _same_graph(counted_tree, stock_tree) is None, expression
        else:
            assert stock[1] == counted[1], expression
            refused.add(stock[1])
    assert len(refused) == 3  # each of ADD, REMOVE and SET refused at least once


def test_a_tree_whose_nodes_do_not_name_their_holder_goes_through_moto_s_pass(runtime, monkeypatch):
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.validators import ActionCountValidator

    passes = []
    stock = DepthFirstTraverser.traverse

    def noting(self, node):
        passes.append(type(self).__name__)
        return stock(self, node)

    monkeypatch.setattr(DepthFirstTraverser, "traverse", noting)
    tree = _stock_parse(UPDATE_EXPRESSIONS[1])
    ActionCountValidator().traverse(tree)
    assert passes == []  # counted
    tree.children[0].parent = None  # as if moved: moto's pass writes nodes back where their parent says
    ActionCountValidator().traverse(tree)
    assert passes == ["ActionCountValidator"]


def test_moto_counts_clauses_in_the_pass_the_speed_up_replaces(runtime):
    import inspect

    from moto.dynamodb.parsing import ast_nodes, validators

    counter = validators.ActionCountValidator
    assert {"pre_processing_of_child", "nodes_to_be_processed", "process"}.isdisjoint(vars(counter))
    assert "traverse" in vars(counter)  # ours; moto's is the base class's
    assert "return {UpdateExpression: self.verify_action_counts}" in inspect.getsource(counter._processing_map)
    verify = inspect.getsource(counter.verify_action_counts)
    for clause, name in (("Add", "ADD"), ("Remove", "REMOVE"), ("Set", "SET")):
        assert f"node.find_clauses([UpdateExpression{clause}Clause])" in verify
        assert f'raise TooManyClauses("{name}")' in verify
    assert verify.index('"ADD"') < verify.index('"REMOVE"') < verify.index('"SET"')
    find = inspect.getsource(ast_nodes.Node.find_clauses)
    assert "if type(child) in clause_types:" in find
    assert "elif isinstance(child, Expression):" in find and "elif isinstance(child, UpdateExpressionFunction):" in find
    walk = inspect.getsource(ast_nodes.DepthFirstTraverser.traverse_node_recursively)
    assert "parent_node.children[child_id] = node" in walk and "node.parent = parent_node" in walk


def test_each_runtime_s_default_session_is_a_new_one_reading_botocore_s_files_through_the_kept_loader(
    runtime, monkeypatch
):
    """moto starts boto3's default session anew at every runtime start (so the speed-up has a session to make); the
    one made is a new boto3 session (its own credentials, from the environment as it is then) whose loader is the
    one kept for the process: a second session reads no file the first one read, and its clients answer alike."""
    import boto3
    import botocore.loaders
    from moto.core.models import MockAWS

    from duoflow.runtime.patches import boto3_session

    assert MockAWS()._default_session_mock.attribute == "DEFAULT_SESSION"  # what moto's start sets to None
    assert boto3.setup_default_session is not _original(boto3_session, boto3_session._SETUP_DEFAULT_SESSION)
    first = runtime.client("dynamodb")
    default = boto3.DEFAULT_SESSION
    kept = default._session.get_component("data_loader")
    assert kept is boto3_session._loaders[default._session.get_config_variable("data_path")]

    read: list[str] = []
    load_file = botocore.loaders.JSONFileLoader.load_file
    monkeypatch.setattr(
        botocore.loaders.JSONFileLoader, "load_file", lambda self, path: read.append(path) or load_file(self, path)
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a-later-key")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # as moto's next start leaves it
    second = boto3.client("dynamodb")
    assert boto3.DEFAULT_SESSION is not default
    assert boto3.DEFAULT_SESSION._session.get_component("data_loader") is kept
    assert read == []  # the models, endpoints and rule set were read by the first session's clients
    assert second._request_signer._credentials.access_key == "a-later-key"  # credentials are each session's own
    assert second.list_tables()["TableNames"] == first.list_tables()["TableNames"]
    assert len(kept.search_paths) == len(set(kept.search_paths))  # boto3 adds its data directory once, not per session
    # A default session asked for with arguments is boto3's own, with a loader of its own.
    boto3.setup_default_session(region_name="eu-west-1")
    assert boto3.DEFAULT_SESSION._session.get_component("data_loader") is not kept
    boto3.client("dynamodb")
    assert read != []  # ...which reads the files itself: the counter counts


def test_a_session_s_data_loader_is_the_component_botocore_makes_unless_one_is_registered():
    """What the speed-up relies on in botocore: a session makes its data loader from the data path only when none was
    registered, and boto3 adds its data directory to that loader's search path."""
    import boto3
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    loader = botocore.loaders.create_loader(core.get_config_variable("data_path"))
    core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core)
    assert session._session.get_component("data_loader") is loader
    assert any(path.startswith(str(Path(boto3.__file__).parent)) for path in loader.search_paths)
    assert botocore.session.get_session().get_component("data_loader") is not loader
