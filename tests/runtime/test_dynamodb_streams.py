"""DynamoDB Streams → Lambda on the local runtime (duoflow/runtime/dynamodb_streams.py), on a catalog of its own:
every change to a routed table with a stream invokes the function with the stream record as an event source mapping
delivers it (INSERT / MODIFY / REMOVE, keys, new and old images, the stream's ARN); a transaction's records arrive
in one batch; a table that is not routed invokes nothing. (Each request's records are journaled as they arrive and
run again after a crash: tests/runtime/test_dynamodb_streams_restart.py; how they are batched:
tests/runtime/test_stream_batches.py.)"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from duoflow.runtime import FunctionSpec, LocalRuntime, TimeControl
from tests.waiting import wait_until

RECEIVED: list[dict[str, Any]] = []
_lock = threading.Lock()


def on_change(event: dict[str, Any], context: Any) -> None:
    with _lock:
        RECEIVED.extend({**record, "batch": len(event["Records"])} for record in event["Records"])


CATALOG = [FunctionSpec(name="on-change", handler=f"{__name__}.on_change", description="records stream records")]
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def received(key: str) -> list[dict[str, Any]]:
    with _lock:
        return [record for record in RECEIVED if record["dynamodb"]["Keys"]["id"]["S"] == key]


def create_table(runtime: LocalRuntime, name: str, stream: bool) -> None:
    runtime.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **({"StreamSpecification": STREAM} if stream else {}),
    )


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test module"
    rt = LocalRuntime(CATALOG, state_dir=tmp_path_factory.mktemp("state"), time_control=TimeControl.scaled(0.001))
    rt.start()
    try:
        rt.deploy_functions()
        create_table(rt, "audited", stream=True)
        create_table(rt, "unrouted", stream=True)
        rt.dynamodb_streams.route("audited", "on-change")
        yield rt
    finally:
        rt.stop()


def insert_change_and_remove(runtime: LocalRuntime, table: str, item: dict[str, Any]) -> None:
    """Put ``item`` (with ``n`` 1), set its ``n`` to 2, delete it: one stream record of each kind."""
    dynamodb = runtime.client("dynamodb")
    dynamodb.put_item(TableName=table, Item=item)
    dynamodb.update_item(
        TableName=table,
        Key={"id": item["id"]},
        UpdateExpression="SET n = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    dynamodb.delete_item(TableName=table, Key={"id": item["id"]})


def test_an_insert_a_change_and_a_removal_each_invoke_the_function_with_their_record(runtime):
    insert_change_and_remove(runtime, "audited", {"id": {"S": "a"}, "n": {"N": "1"}})

    records = wait_until(lambda: len(received("a")) == 3 and received("a"), what="three stream records")
    by_name = {record["eventName"]: record for record in records}
    assert set(by_name) == {"INSERT", "MODIFY", "REMOVE"}
    assert by_name["INSERT"]["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert "OldImage" not in by_name["INSERT"]["dynamodb"]
    assert by_name["MODIFY"]["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert by_name["MODIFY"]["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert by_name["REMOVE"]["dynamodb"]["OldImage"]["n"] == {"N": "2"}
    stream_arn = runtime.client("dynamodb").describe_table(TableName="audited")["Table"]["LatestStreamArn"]
    for record in records:
        assert (record["eventSource"], record["awsRegion"], record["eventSourceARN"]) == (
            "aws:dynamodb",
            runtime.region,
            stream_arn,
        )
        assert record["dynamodb"]["Keys"] == {"id": {"S": "a"}}
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    # the sequence numbers give the changes' order, whatever order the invokes ran in
    ordered = sorted(records, key=lambda record: int(record["dynamodb"]["SequenceNumber"]))
    assert [record["eventName"] for record in ordered] == ["INSERT", "MODIFY", "REMOVE"]


def test_a_transactions_records_arrive_in_one_batch(runtime):
    runtime.client("dynamodb").transact_write_items(
        TransactItems=[{"Put": {"TableName": "audited", "Item": {"id": {"S": key}}}} for key in ("t1", "t2")]
    )

    [first] = wait_until(lambda: received("t1"), what="the first record")
    [second] = wait_until(lambda: received("t2"), what="the second record")
    assert first["batch"] == second["batch"] == 2


def test_a_table_that_is_not_routed_invokes_nothing(runtime):
    runtime.client("dynamodb").put_item(TableName="unrouted", Item={"id": {"S": "quiet"}})
    runtime.client("dynamodb").put_item(TableName="audited", Item={"id": {"S": "after-quiet"}})

    wait_until(lambda: received("after-quiet"), what="the routed table's record")
    assert received("quiet") == []
    assert all(function == "on-change" for function, _ in runtime.dynamodb_streams.delivered)


def test_the_stream_hooks_wrap_what_moto_5_2_5_calls(runtime):
    """Guard: moto still writes a stream record through ``StreamShard.add`` and answers a DynamoDB request through
    ``DynamoHandler.call_action`` (the two points this module hooks)."""
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodb.responses import DynamoHandler

    assert StreamShard.add.__wrapped__.__qualname__ == "StreamShard.add"
    assert hasattr(DynamoHandler.call_action, "__wrapped__")
    runtime.client("dynamodb").put_item(TableName="unrouted", Item={"id": {"S": "guard"}})
    from moto.dynamodb.models import dynamodb_backends

    shard = dynamodb_backends[runtime.account_id][runtime.region].tables["unrouted"].stream_shard
    assert shard.items[-1].to_json()["dynamodb"]["NewImage"] == {"id": {"S": "guard"}}


def test_the_stream_keeps_each_change_of_a_table_in_order_for_get_records(runtime):
    """What moto answers GetRecords with (``StreamShard.get``, read here directly: botocore 1.44.5 sends GetRecords to
    an account-based endpoint, ``{account}.streams-ddb.{region}.amazonaws.com``, that moto 5.2.5 does not route).
    With the speed-ups moto's records are kept pickled (tests/runtime/test_speedups.py); the same either way."""
    from moto.dynamodb.models import dynamodb_backends

    item = {
        "id": {"S": "read-back"},
        "n": {"N": "1"},
        "tags": {"SS": ["a", "b"]},
        "doc": {"M": {"list": {"L": [{"S": "y"}, {"BOOL": True}, {"NULL": True}]}, "blob": {"B": b"\x00\x01"}}},
    }
    insert_change_and_remove(runtime, "unrouted", item)

    shard = dynamodb_backends[runtime.account_id][runtime.region].tables["unrouted"].stream_shard
    every = shard.get(shard.starting_sequence_number, 1000)
    records = [record for record in every if record["dynamodb"]["Keys"] == {"id": {"S": "read-back"}}]

    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (record["dynamodb"] for record in records)
    assert insert["NewImage"] == item and "OldImage" not in insert
    assert modify["OldImage"] == item and modify["NewImage"] == {**item, "n": {"N": "2"}}
    assert remove["OldImage"] == {**item, "n": {"N": "2"}} and "NewImage" not in remove
    numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in every]
    assert numbers == list(range(shard.starting_sequence_number, shard.starting_sequence_number + len(every)))
    assert all(isinstance(record["ApproximateCreationDateTime"], datetime.datetime) for record in (insert, remove))
