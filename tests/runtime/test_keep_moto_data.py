"""DynamoDB items and S3 objects survive a restart of the runtime (duoflow/runtime/keep_moto_data.py): written through
boto3 on one runtime, they are all back, exactly, on a new runtime started on the same state directory, with no S3
event fired and nothing journaled again; each write is one commit; moto's internals the keeper hooks are pinned.

Each test starts its own runtimes (a restart needs two, one after the other), so none uses the shared ``runtime``
fixture."""

from __future__ import annotations

import base64
import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from catalog.resources import TABLES
from duoflow.runtime import FunctionSpec, LocalRuntime, TimeControl, keep_moto_data
from duoflow.runtime.keep_moto_data import MotoDataKeeper
from duoflow.stack import _create_table
from services.common.progress import PENDING_INDEX
from tests.waiting import wait_until

RECEIVED: list[dict[str, Any]] = []
_lock = threading.Lock()


def on_upload(event: dict[str, Any], context: Any) -> None:
    with _lock:
        RECEIVED.append(event)


def received_keys() -> list[str]:
    with _lock:
        return [event["detail"]["object"]["key"] for event in RECEIVED]


CATALOG = [FunctionSpec(name="on-upload", handler=f"{__name__}.on_upload", description="records S3 events")]

PROGRESS = next(table for table in TABLES if table.name == "loan-progress")  # with the sparse index "pending"
COUNTERS = "counters"  # a table with a number partition key and no sort key
REQUESTS = "training-requests"  # versioned, EventBridge events routed to on-upload
RESULTS = "training-results"


@contextmanager
def started(state_dir: Any) -> Iterator[LocalRuntime]:
    """A runtime on ``state_dir`` with the tables and buckets deployed (empty) and its data keeper installed."""
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test"
    runtime = LocalRuntime(CATALOG, state_dir=state_dir, time_control=TimeControl.scaled(0.001))
    runtime.start()
    try:
        runtime.deploy_functions()
        _create_table(runtime, PROGRESS)
        runtime.client("dynamodb").create_table(
            TableName=COUNTERS,
            KeySchema=[{"AttributeName": "n", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "n", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = runtime.client("s3")
        s3.create_bucket(Bucket=REQUESTS)
        s3.put_bucket_versioning(Bucket=REQUESTS, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_notification_configuration(
            Bucket=REQUESTS, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        s3.create_bucket(Bucket=RESULTS)
        runtime.s3_events.route(REQUESTS, "requests/", "on-upload")
        yield runtime
    finally:
        runtime.stop()


def keeper_of(runtime: LocalRuntime) -> MotoDataKeeper:
    keeper = getattr(runtime, "_data_keeper", None)
    assert isinstance(keeper, MotoDataKeeper), "LocalRuntime.start() installs a MotoDataKeeper"
    return keeper


# --- what a runtime holds, read through boto3 -----------------------------------------------------------------------


def everything(runtime: LocalRuntime) -> dict[str, Any]:
    ddb, s3 = runtime.client("dynamodb"), runtime.client("s3")
    seen: dict[str, Any] = {}
    for table in (PROGRESS.name, COUNTERS):
        items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
        seen[f"table {table}"] = sorted(items, key=repr)
    seen["pending index"] = ddb.query(
        TableName=PROGRESS.name,
        IndexName=PENDING_INDEX,
        KeyConditionExpression="pending_kind = :kind",
        ExpressionAttributeValues={":kind": {"S": "manager-approval"}},
    )["Items"]
    for bucket in (REQUESTS, RESULTS):
        listing = s3.list_object_versions(Bucket=bucket)
        versions = [_version(v) for v in listing.get("Versions", [])]
        markers = [_version(v) for v in listing.get("DeleteMarkers", [])]
        seen[f"bucket {bucket}"] = (versions, markers)
        for version in listing.get("Versions", []):
            got = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            seen[f"object {bucket}/{version['Key']}@{version['VersionId']}"] = {
                "body": got["Body"].read(),
                **{
                    name: got.get(name)
                    for name in ("ContentType", "Metadata", "ETag", "LastModified", "VersionId", "ContentLength")
                },
                "tags": s3.get_object_tagging(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])[
                    "TagSet"
                ],
            }
        for key in {v["Key"] for v in listing.get("Versions", [])}:
            try:
                latest = s3.get_object(Bucket=bucket, Key=key)
                seen[f"latest {bucket}/{key}"] = (latest.get("VersionId"), latest["Body"].read())
            except s3.exceptions.NoSuchKey:
                seen[f"latest {bucket}/{key}"] = "deleted"
    return seen


def _version(entry: dict[str, Any]) -> tuple:
    return (entry["Key"], entry["VersionId"], entry["IsLatest"], entry["LastModified"], entry.get("ETag"))


# --- writes ---------------------------------------------------------------------------------------------------------


def pending(application: str, at: str) -> dict[str, Any]:
    return {
        "application_id": {"S": application},
        "entry": {"S": "PENDING#approval"},
        "pending_kind": {"S": "manager-approval"},
        "requested_at": {"S": at},
        "task_token": {"S": f"token-{application}"},
    }


def write_everything(runtime: LocalRuntime) -> None:
    ddb, s3 = runtime.client("dynamodb"), runtime.client("s3")
    table = PROGRESS.name
    every_type = {
        "application_id": {"S": "alice"},
        "entry": {"S": "STATUS"},
        "text": {"S": 'quoted "text" ünïcode'},
        "number": {"N": "12.50"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "blob": {"B": b"\x00\x01binary"},
        "strings": {"SS": ["a", "b"]},
        "numbers": {"NS": ["1", "2.5"]},
        "blobs": {"BS": [b"x", b"y"]},
        "nested": {"M": {"list": {"L": [{"S": "one"}, {"N": "2"}, {"M": {"deep": {"BOOL": False}}}]}}},
    }
    ddb.put_item(TableName=table, Item=every_type)
    ddb.put_item(TableName=table, Item=pending("alice", "2026-01-01T00:00:00Z"))
    ddb.put_item(TableName=table, Item=pending("bob", "2026-01-01T00:01:00Z"))
    ddb.put_item(TableName=table, Item={"application_id": {"S": "bob"}, "entry": {"S": "LOG#1"}})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.put_item(
            TableName=table,
            Item={"application_id": {"S": "bob"}, "entry": {"S": "LOG#1"}, "twice": {"BOOL": True}},
            ConditionExpression="attribute_not_exists(application_id)",
        )
    ddb.update_item(
        TableName=table,
        Key={"application_id": {"S": "alice"}, "entry": {"S": "STATUS"}},
        UpdateExpression="SET #s = :s, nested.added = :a ADD #n :one REMOVE flag",
        ExpressionAttributeNames={"#s": "status", "#n": "number"},
        ExpressionAttributeValues={":s": {"S": "approved"}, ":a": {"N": "7"}, ":one": {"N": "1"}},
    )
    ddb.update_item(  # creates the item
        TableName=table,
        Key={"application_id": {"S": "carol"}, "entry": {"S": "STATUS"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "submitted"}},
    )
    ddb.delete_item(TableName=table, Key={"application_id": {"S": "bob"}, "entry": {"S": "PENDING#approval"}})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": pending("carol", "2026-01-01T00:02:00Z")}},
            {
                "Update": {
                    "TableName": table,
                    "Key": {"application_id": {"S": "carol"}, "entry": {"S": "STATUS"}},
                    "UpdateExpression": "SET #s = :s",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":s": {"S": "waiting"}},
                }
            },
            {"Delete": {"TableName": table, "Key": {"application_id": {"S": "bob"}, "entry": {"S": "LOG#1"}}}},
        ]
    )
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"application_id": {"S": "dave"}, "entry": {"S": "X"}}}},
                {
                    "Delete": {
                        "TableName": table,
                        "Key": {"application_id": {"S": "alice"}, "entry": {"S": "STATUS"}},
                        "ConditionExpression": "attribute_not_exists(application_id)",
                    }
                },
            ]
        )
    ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"application_id": {"S": "erin"}, "entry": {"S": f"LOG#{i}"}}}}
                for i in range(4)
            ]
            + [{"DeleteRequest": {"Key": {"application_id": {"S": "carol"}, "entry": {"S": "STATUS"}}}}],
            COUNTERS: [{"PutRequest": {"Item": {"n": {"N": str(i)}, "count": {"N": str(i * 10)}}}} for i in range(3)],
        }
    )
    ddb.delete_item(TableName=COUNTERS, Key={"n": {"N": "2.0"}})  # the item put as "2": numbers compare as numbers

    s3.put_object(
        Bucket=RESULTS,
        Key="alice.json",
        Body=b'{"first": true}',
        ContentType="application/json",
        Metadata={"variant": "hybrid"},
    )
    s3.put_object(Bucket=RESULTS, Key="alice.json", Body=b'{"second": true}', ContentType="application/json")
    s3.put_object(Bucket=RESULTS, Key="bob.json", Body=b"{}", Tagging="kind=result&by=test")
    s3.put_object(Bucket=RESULTS, Key="gone.json", Body=b"x")
    s3.delete_object(Bucket=RESULTS, Key="gone.json")
    s3.copy_object(Bucket=RESULTS, Key="alice-copy.json", CopySource={"Bucket": RESULTS, "Key": "alice.json"})
    upload = s3.create_multipart_upload(Bucket=RESULTS, Key="multi.bin", ContentType="application/octet-stream")
    part = s3.upload_part(Bucket=RESULTS, Key="multi.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"m" * 100)
    s3.complete_multipart_upload(
        Bucket=RESULTS,
        Key="multi.bin",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )

    first = s3.put_object(
        Bucket=REQUESTS, Key="requests/r1.json", Body=b'{"v": 1}', Metadata={"variant": "sfn"}, ContentType="a/b"
    )["VersionId"]
    s3.put_object(Bucket=REQUESTS, Key="requests/r1.json", Body=b'{"v": 2}', Metadata={"variant": "durable"})
    s3.put_object(Bucket=REQUESTS, Key="requests/r2.json", Body=b'{"v": 1}')
    s3.delete_object(Bucket=REQUESTS, Key="requests/r2.json")  # a delete marker
    s3.put_object(Bucket=REQUESTS, Key="requests/r3.json", Body=b"three")
    three = s3.put_object(Bucket=REQUESTS, Key="requests/r3.json", Body=b"three again")["VersionId"]
    s3.delete_object(Bucket=REQUESTS, Key="requests/r3.json", VersionId=three)  # the older one is the latest again
    s3.put_object(Bucket=REQUESTS, Key="other/r4.json", Body=b"four")
    s3.delete_objects(
        Bucket=REQUESTS, Delete={"Objects": [{"Key": "other/r4.json"}, {"Key": "requests/r1.json", "VersionId": first}]}
    )
    wait_until(lambda: len(received_keys()) >= 5, what="the S3 events of the first runtime")


def test_every_item_and_object_is_back_exactly_after_a_restart(tmp_path):
    with started(tmp_path) as first:
        write_everything(first)
        before = everything(first)
        rows = journal_rows(first)
    assert [item["application_id"]["S"] for item in before["pending index"]] == ["alice", "carol"]  # bob's removed
    assert before[f"latest {REQUESTS}/requests/r2.json"] == "deleted"

    with started(tmp_path) as second:
        keeper = keeper_of(second)
        assert everything(second) != before  # deployed empty
        delivered, received = list(second.s3_events.delivered), received_keys()

        with counting_commits(second) as commits, counting_s3_notifications() as notifications:
            restored = keeper.restore()

        assert restored == len(rows["items"]) + len(rows["objects"]) == 9 + 10
        assert everything(second) == before
        assert commits.all == 0 and journal_rows(second) == rows  # nothing journaled again
        assert notifications == [] and list(second.s3_events.delivered) == delivered  # no S3 event fired
        assert received_keys() == received

        # and the runtime carries on: new writes are journaled as before, events fire for new objects
        second.client("s3").put_object(Bucket=REQUESTS, Key="requests/r5.json", Body=b"five")
        second.client("dynamodb").put_item(
            TableName=PROGRESS.name, Item={"application_id": {"S": "frank"}, "entry": {"S": "STATUS"}}
        )
        wait_until(lambda: "requests/r5.json" in received_keys(), what="the event of an object put after restore")
        after = everything(second)

    with started(tmp_path) as third:
        keeper_of(third).restore()
        assert everything(third) == after


def test_a_restored_item_is_the_item_moto_builds_and_its_size_is_still_limited(tmp_path):
    """The restore puts an item's attributes in at once, not through moto's per-attribute size check (quadratic in
    the attributes): the item must be the one ``Item(...)`` builds, in moto's own size-checking dict."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    attributes = {
        **pending("alice", "2026-12-05T08:00:00Z"),
        "offer": {"M": {"rate": {"N": "5.25"}, "terms": {"L": [{"N": "36"}, {"S": "monthly"}]}}},
        "flags": {"SS": ["checked", "priority"]},
    }
    with started(tmp_path) as first:
        first.client("dynamodb").put_item(TableName=PROGRESS.name, Item=attributes)

    with started(tmp_path) as second:
        keeper_of(second).restore()
        table = dynamodb_backends[second.account_id][second.region].tables[PROGRESS.name]
        restored = table.get_item(DynamoType(attributes["application_id"]), DynamoType(attributes["entry"]))
        built = Item(DynamoType(attributes["application_id"]), DynamoType(attributes["entry"]), attributes)
        assert restored == built and type(restored.attrs) is LimitedSizeDict
        assert list(restored.attrs) == list(built.attrs)  # the same attributes in the same order
        with pytest.raises(ItemSizeTooLarge):
            restored.attrs["note"] = DynamoType({"S": "x" * 410_000})  # moto's check still guards the item


def test_each_request_is_one_commit_and_a_failed_one_none(tmp_path):
    with started(tmp_path) as runtime:
        ddb, s3 = runtime.client("dynamodb"), runtime.client("s3")
        table = PROGRESS.name

        def commits(call: Any, *args: Any, **kwargs: Any) -> int:
            with counting_commits(runtime) as counted:
                try:
                    call(*args, **kwargs)
                except Exception:  # noqa: BLE001 - failures are part of what is counted
                    pass
            return counted.ours

        key = {"application_id": {"S": "a"}, "entry": {"S": "b"}}
        assert commits(ddb.put_item, TableName=table, Item=key) == 1
        assert commits(ddb.put_item, TableName=table, Item=key, ConditionExpression="attribute_not_exists(entry)") == 0
        assert (
            commits(
                ddb.update_item,
                TableName=table,
                Key=key,
                UpdateExpression="SET x = :x",
                ConditionExpression="attribute_not_exists(entry)",
                ExpressionAttributeValues={":x": {"S": "x"}},
            )
            == 0
        )
        assert (
            commits(ddb.delete_item, TableName=table, Key=key, ConditionExpression="attribute_not_exists(entry)") == 0
        )
        assert (
            commits(
                ddb.update_item,
                TableName=table,
                Key=key,
                UpdateExpression="SET x = :x",
                ExpressionAttributeValues={":x": {"S": "x"}},
            )
            == 1
        )
        three = [
            {"Put": {"TableName": table, "Item": {"application_id": {"S": "t"}, "entry": {"S": str(i)}}}}
            for i in range(3)
        ]
        assert commits(ddb.transact_write_items, TransactItems=three) == 1
        cancelled = [
            {"Put": {"TableName": table, "Item": {"application_id": {"S": "u"}, "entry": {"S": "1"}}}},
            {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": "attribute_not_exists(entry)"}},
        ]
        assert commits(ddb.transact_write_items, TransactItems=cancelled) == 0
        twice = [three[0], {"Delete": {"TableName": table, "Key": three[0]["Put"]["Item"]}}]
        assert commits(ddb.transact_write_items, TransactItems=twice) == 0  # refused: the same item twice
        batch = [{"PutRequest": {"Item": {"application_id": {"S": "v"}, "entry": {"S": str(i)}}}} for i in range(5)]
        assert commits(ddb.batch_write_item, RequestItems={table: batch}) == 1
        assert commits(ddb.delete_item, TableName=table, Key=key) == 1
        assert commits(ddb.delete_item, TableName=table, Key=key) == 0  # nothing there: nothing changed
        assert commits(ddb.get_item, TableName=table, Key=key) == 0
        assert commits(ddb.scan, TableName=table) == 0
        assert commits(s3.put_object, Bucket=RESULTS, Key="k", Body=b"1") == 1
        assert commits(s3.put_object, Bucket=RESULTS, Key="k", Body=b"22") == 1
        assert commits(s3.put_object, Bucket=RESULTS, Key="k", Body=b"3", IfNoneMatch="*") == 0
        assert commits(s3.get_object, Bucket=RESULTS, Key="k") == 0
        assert commits(s3.put_object, Bucket=REQUESTS, Key="requests/x", Body=b"1") == 1
        assert commits(s3.delete_object, Bucket=RESULTS, Key="absent") == 0
        objects = {"Objects": [{"Key": "k"}, {"Key": "requests/x"}, {"Key": "absent"}]}
        assert commits(s3.delete_objects, Bucket=RESULTS, Delete=objects) == 1
        assert journal_rows(runtime)["objects"] == [(REQUESTS, "requests/x", 0)]  # the version: no marker there


def test_a_write_outside_any_request_is_journaled_at_once(tmp_path):
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends

    with started(tmp_path) as runtime:
        backend = dynamodb_backends[runtime.account_id][runtime.region]
        with counting_commits(runtime) as commits:
            backend.put_item(PROGRESS.name, {"application_id": {"S": "py"}, "entry": {"S": "1"}})
            backend.update_item(
                PROGRESS.name,
                {"application_id": {"S": "py"}, "entry": {"S": "2"}},
                "SET x = :x",
                {},
                {":x": {"S": "new"}},
            )
            s3_backends[runtime.account_id]["aws"].put_object(RESULTS, "py.txt", b"py")
        assert commits.ours == 3  # the update creating its item is one
        assert len(journal_rows(runtime)["items"]) == 2 and len(journal_rows(runtime)["objects"]) == 1


def test_only_the_runtime_s_account_and_region_are_journaled(tmp_path):
    import boto3

    with started(tmp_path) as runtime:
        other = boto3.client("dynamodb", region_name="eu-west-1")
        other.create_table(
            TableName=COUNTERS,
            KeySchema=[{"AttributeName": "n", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "n", "AttributeType": "N"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with counting_commits(runtime) as commits:
            other.put_item(TableName=COUNTERS, Item={"n": {"N": "1"}})
        assert commits.all == 0 and journal_rows(runtime)["items"] == []


def test_a_deleted_table_s_items_are_forgotten_and_an_undeployed_one_is_skipped(tmp_path, caplog):
    with started(tmp_path) as runtime:
        ddb = runtime.client("dynamodb")
        ddb.put_item(TableName=COUNTERS, Item={"n": {"N": "1"}})
        ddb.put_item(TableName=PROGRESS.name, Item={"application_id": {"S": "a"}, "entry": {"S": "b"}})
        ddb.create_table(
            TableName="scratch",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.put_item(TableName="scratch", Item={"id": {"S": "x"}})
        ddb.delete_table(TableName=COUNTERS)
        assert {row[0] for row in journal_rows(runtime)["items"]} == {PROGRESS.name, "scratch"}
    with started(tmp_path) as runtime:  # "scratch" is not deployed
        assert keeper_of(runtime).restore() == 1
        assert "scratch" in caplog.text


def keeper_layer(function):
    """The keeper's hook among the wrappers of a moto method (the DynamoDB streams' delivery,
    duoflow/runtime/dynamodb_streams.py, wraps ``DynamoHandler.call_action`` over it), or None."""
    while function is not None and not hasattr(function, "duoflow_keeper"):
        function = getattr(function, "__wrapped__", None)
    return function


def test_restarting_runtimes_leaves_no_hook_behind(tmp_path):
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    hooked = [
        (Table, "put_item"),
        (Table, "delete_item"),
        (DynamoDBBackend, "update_item"),
        (DynamoDBBackend, "delete_table"),
        (S3Backend, "put_object"),
        (S3Backend, "delete_object"),
        *((DynamoHandler, name) for name in (*keep_moto_data.DYNAMODB_WRITE_ACTIONS, "transact_write_items")),
        (DynamoHandler, "call_action"),
        *((S3Response, name) for name in keep_moto_data.S3_REQUEST_HANDLERS),
    ]
    with started(tmp_path):
        pass
    stopped = [owner.__dict__.get(name) for owner, name in hooked]
    assert not any(keeper_layer(function) for function in stopped)
    for _ in range(2):
        with started(tmp_path) as runtime:
            keeper = keeper_of(runtime)
            assert all(
                getattr(keeper_layer(owner.__dict__.get(name)), "duoflow_keeper", None) is keeper
                for owner, name in hooked
            )
        assert [owner.__dict__.get(name) for owner, name in hooked] == stopped


def test_number_keys_are_one_row_however_they_are_written():
    from moto.dynamodb.models.dynamo_type import DynamoType

    texts = {keep_moto_data._key_text(DynamoType({"N": n})) for n in ("100", "1E2", "100.000", "1.00e+2")}
    assert texts == {"N:1E+2"}
    assert keep_moto_data._key_text(DynamoType({"N": "-0"})) == keep_moto_data._key_text(DynamoType({"N": "0.0"}))
    assert keep_moto_data._key_text(DynamoType({"N": "1" * 38})) == "N:" + "1" * 38  # no rounding
    assert keep_moto_data._key_text(DynamoType({"N": "0.1"})) != keep_moto_data._key_text(
        DynamoType({"N": "0.10000000000000000001"})
    )
    assert keep_moto_data._key_text(DynamoType({"B": base64.b64encode(b"k").decode()})) == "B:aw=="


# --- guards: what the keeper relies on in moto 5.2.5 ----------------------------------------------------------------


def _stock(function: Any) -> Any:
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


def test_moto_changes_an_item_only_where_the_keeper_notes_it():
    """Items are added or replaced by ``Table.put_item`` after its conditions pass, removed by ``Table.delete_item``
    (which returns what it removed), and changed in place only by ``DynamoDBBackend.update_item``; every write path
    reaches them."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    put = inspect.getsource(_stock(Table.put_item))
    assert put.rindex("raise ConditionalCheckFailed") < put.index("self.items[hash_value][range_value] = item")
    assert put.rstrip().endswith("return item")
    delete = inspect.getsource(_stock(Table.delete_item))
    assert "item = self.items[hash_key].pop(range_key)" in delete and "return item" in delete
    update = inspect.getsource(_stock(DynamoDBBackend.update_item))
    assert "table.put_item(data)" in update and "UpdateExpressionExecutor(" in update
    assert update.rstrip().endswith("return item  # type: ignore[return-value]")
    transact_write_items = _stock(DynamoDBBackend.transact_write_items)
    # moto's own, or under speedups' rollback (DUOFLOW_SPEEDUPS=0 leaves it out)
    transact = inspect.getsource(
        inspect.getclosurevars(transact_write_items).nonlocals.get("transact", transact_write_items)
    )
    for call in ("self.put_item(", "self.delete_item(", "self.update_item("):
        assert call in transact
    statement = inspect.getsource(_stock(DynamoDBBackend.execute_statement))
    assert "table.put_item(after)" in statement and "table.delete_item(hash_key, range_key)" in statement
    batch = inspect.getsource(_stock(DynamoHandler.batch_write_item))
    assert "self.dynamodb_backend.put_item(table_name, item)" in batch
    assert "self.dynamodb_backend.delete_item(table_name, keys)" in batch


def test_every_dynamodb_action_that_writes_items_is_a_journaled_request():
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    writers = (
        "put_item",
        "update_item",
        "delete_item",
        "transact_write_items",
        "execute_statement",
        "execute_transaction",
        "batch_execute_statement",
    )
    writing_actions = {
        name
        for name, function in vars(DynamoHandler).items()
        if inspect.isfunction(function)
        and any(f"self.dynamodb_backend.{writer}(" in inspect.getsource(_stock(function)) for writer in writers)
    }
    assert writing_actions == {*keep_moto_data.DYNAMODB_WRITE_ACTIONS, "transact_write_items"}
    # the others that fill a table make a new one (not journaled: deploy() creates the tables)
    assert "def restore_table_from_backup" in inspect.getsource(DynamoDBBackend)


def test_concurrent_writes_to_the_same_items_come_back_as_moto_held_them_last(tmp_path):
    """DynamoDB after-images are queued under moto_core's request lock (moto's order) and committed after it; S3's are
    read and committed under the keeper's lock. Eight threads rewriting the same items and objects: the journal ends
    with what moto ends with."""
    from concurrent.futures import ThreadPoolExecutor

    from moto.dynamodb.responses import DynamoHandler

    def hammer(runtime: LocalRuntime, thread: int) -> None:
        ddb, s3 = runtime.client("dynamodb"), runtime.client("s3")
        for n in range(40):
            key = {"application_id": {"S": f"shared-{n % 3}"}, "entry": {"S": "STATUS"}}
            ddb.update_item(
                TableName=PROGRESS.name,
                Key=key,
                UpdateExpression="ADD hits :one SET last_writer = :me",
                ExpressionAttributeValues={":one": {"N": "1"}, ":me": {"S": f"{thread}-{n}"}},
            )
            if n % 7 == thread % 7:
                ddb.delete_item(TableName=PROGRESS.name, Key=key)
            ddb.put_item(TableName=COUNTERS, Item={"n": {"N": str(n % 4)}, "by": {"S": f"{thread}-{n}"}})
            s3.put_object(Bucket=RESULTS, Key=f"shared-{n % 2}.json", Body=f"{thread}-{n}".encode())
            s3.put_object(Bucket=REQUESTS, Key=f"shared/{n % 2}.json", Body=f"{thread}-{n}".encode())

    with started(tmp_path) as first:
        # the keeper commits around patches.moto_core's request lock
        locked = keeper_layer(DynamoHandler.call_action).__wrapped__
        assert "lock" in inspect.getclosurevars(locked).nonlocals
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda thread: hammer(first, thread), range(8)))
        before = everything(first)
    with started(tmp_path) as second:
        keeper_of(second).restore()
        assert everything(second) == before


def test_moto_stores_objects_where_the_keeper_notes_them():
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    put = inspect.getsource(_stock(S3Backend.put_object))
    assert "bucket.keys.setlist(key_name, keys)" in put and put.rstrip().endswith("return new_key")
    for creator in (S3Backend.copy_object, S3Backend.complete_multipart_upload):
        assert "self.put_object(" in inspect.getsource(_stock(creator))
    assert "self.delete_object(" in inspect.getsource(_stock(S3Backend.delete_objects))
    delete = inspect.getsource(_stock(S3Backend.delete_object))
    assert "bucket.keys.pop(key_name)" in delete and "self._set_delete_marker(" in delete
    # the request handlers s3_events wraps call the ones the keeper wraps: objects are journaled before events go
    assert "response = self._key_response(request, full_url)" in inspect.getsource(_stock(S3Response.key_response))
    assert "response = self._bucket_response(request, full_url)" in inspect.getsource(
        _stock(S3Response.bucket_response)
    )


def test_moto_s_object_and_delete_marker_have_the_attributes_the_keeper_knows(tmp_path):
    from moto.s3.models import FakeDeleteMarker, FakeKey, s3_backends

    with started(tmp_path) as runtime:
        s3 = runtime.client("s3")
        s3.put_object(Bucket=REQUESTS, Key="k", Body=b"x")
        s3.delete_object(Bucket=REQUESTS, Key="k")
        versions = s3_backends[runtime.account_id]["aws"].buckets[REQUESTS].keys.getlist("k")
    key, marker = versions
    assert isinstance(key, FakeKey) and isinstance(marker, FakeDeleteMarker)
    assert set(vars(key)) == set(keep_moto_data.FAKE_KEY_ATTRIBUTES)
    assert set(vars(marker)) == keep_moto_data.FAKE_DELETE_MARKER_ATTRIBUTES


# --- helpers --------------------------------------------------------------------------------------------------------


def journal_rows(runtime: LocalRuntime) -> dict[str, list[tuple]]:
    return {
        "items": runtime.journal.read(
            "SELECT table_name, partition_key, sort_key, item FROM moto_dynamodb_items ORDER BY 1, 2, 3"
        ),
        "objects": runtime.journal.read(
            "SELECT bucket, key, delete_marker FROM moto_s3_objects ORDER BY bucket, key, seq"
        ),
    }


@contextmanager
def counting_s3_notifications() -> Iterator[list[tuple]]:
    """Every S3 event notification moto sends meanwhile (undone before the runtime stops: s3_events restores what
    it found when it installed)."""
    from moto.s3 import notifications

    calls: list[tuple] = []
    send = notifications.send_event

    def counting(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        send(*args, **kwargs)

    notifications.send_event = counting
    try:
        yield calls
    finally:
        notifications.send_event = send


class Commits:
    """Counts the journal's commits while installed on it: all of them, and those that write the keeper's tables
    (other parts of the runtime journal too: an S3 event's asynchronous invoke, for one)."""

    def __init__(self, journal: Any) -> None:
        self.all = self.ours = 0
        self._journal = journal
        self._transaction = journal.transaction
        journal.transaction = self._counting

    @contextmanager
    def _counting(self) -> Iterator[Any]:
        statements: list[str] = []
        with self._transaction() as db:
            yield _Recording(db, statements)
        self.all += 1
        self.ours += any("moto_" in statement for statement in statements)

    def close(self) -> None:
        del self._journal.transaction


class _Recording:
    def __init__(self, db: Any, statements: list[str]) -> None:
        self._db, self._statements = db, statements

    def execute(self, sql: str, *args: Any) -> Any:
        self._statements.append(sql)
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        self._statements.append(sql)
        return self._db.executemany(sql, *args)


@contextmanager
def counting_commits(runtime: LocalRuntime) -> Iterator[Commits]:
    commits = Commits(runtime.journal)
    try:
        yield commits
    finally:
        commits.close()
