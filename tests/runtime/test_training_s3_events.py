"""S3 → EventBridge → Lambda on the local runtime (duoflow/runtime/s3_events.py), on a catalog of its own: an
object created under a routed prefix of an EventBridge-enabled bucket invokes the function asynchronously with
EventBridge's "Object Created" event; other keys, other buckets and buckets without EventBridge do not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from duoflow.runtime import FunctionSpec, LocalRuntime, TimeControl
from tests.waiting import wait_until

RECEIVED: list[dict[str, Any]] = []
_lock = threading.Lock()


def on_upload(event: dict[str, Any], context: Any) -> None:
    with _lock:
        RECEIVED.append(event)


CATALOG = [FunctionSpec(name="on-upload", handler=f"{__name__}.on_upload", description="records S3 events")]


def received(key: str) -> list[dict[str, Any]]:
    with _lock:
        return [event for event in RECEIVED if event["detail"]["object"]["key"] == key]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test module"
    rt = LocalRuntime(CATALOG, state_dir=tmp_path_factory.mktemp("state"), time_control=TimeControl.scaled(0.001))
    rt.start()
    try:
        rt.deploy_functions()
        s3 = rt.client("s3")
        for bucket, events in (("uploads", True), ("quiet", False)):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            if events:
                s3.put_bucket_notification_configuration(
                    Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
                )
            rt.s3_events.route(bucket, "incoming/", "on-upload")
        yield rt
    finally:
        rt.stop()


def test_an_object_created_under_the_prefix_invokes_the_function_with_eventbridges_event(runtime):
    put = runtime.client("s3").put_object(Bucket="uploads", Key="incoming/a.json", Body=b'{"x": 1}')

    [event] = wait_until(lambda: received("incoming/a.json"), what="the Object Created event")
    assert (event["source"], event["detail-type"], event["account"], event["region"]) == (
        "aws.s3",
        "Object Created",
        runtime.account_id,
        runtime.region,
    )
    assert event["resources"] == ["arn:aws:s3:::uploads"]
    detail = event["detail"]
    assert detail["bucket"] == {"name": "uploads"}
    assert (detail["object"]["size"], detail["object"]["etag"]) == (8, put["ETag"].strip('"'))
    assert detail["object"]["version-id"] == put["VersionId"]
    assert detail["reason"] == "PutObject"


def test_each_upload_is_one_event_even_under_the_same_key(runtime):
    s3 = runtime.client("s3")
    first = s3.put_object(Bucket="uploads", Key="incoming/twice.json", Body=b"1")["VersionId"]
    second = s3.put_object(Bucket="uploads", Key="incoming/twice.json", Body=b"22")["VersionId"]

    events = wait_until(lambda: len(received("incoming/twice.json")) == 2 and received("incoming/twice.json"))
    assert sorted(e["detail"]["object"]["version-id"] for e in events) == sorted([first, second])


def test_other_prefixes_and_buckets_without_eventbridge_send_nothing(runtime):
    s3 = runtime.client("s3")
    s3.put_object(Bucket="uploads", Key="elsewhere/b.json", Body=b"1")
    s3.put_object(Bucket="quiet", Key="incoming/c.json", Body=b"1")
    s3.put_object(Bucket="uploads", Key="incoming/marker.json", Body=b"1")  # delivered: the others had their turn

    wait_until(lambda: received("incoming/marker.json"), what="the marker's event")
    assert received("elsewhere/b.json") == [] and received("incoming/c.json") == []
    assert all(function == "on-upload" for function, _ in runtime.s3_events.delivered)


def test_the_event_comes_when_the_upload_is_complete_metadata_and_all(runtime):
    """moto notifies before its request handler sets the object's metadata; the event must wait for it (in
    AWS the event follows the completed PUT), or the function reads the object without its metadata."""
    from moto.s3.responses import S3Response

    from duoflow.runtime.s3_events import REQUEST_HANDLERS

    assert all(hasattr(S3Response, name) for name in REQUEST_HANDLERS), "moto moved its S3 request handlers"
    seen: list[dict[str, str]] = []
    deliver = runtime.s3_events._invoke_async
    s3 = runtime.client("s3")

    def read_metadata_on_delivery(function: str, payload: bytes) -> None:
        seen.append(s3.head_object(Bucket="uploads", Key="incoming/meta.json")["Metadata"])
        deliver(function, payload)

    runtime.s3_events._invoke_async = read_metadata_on_delivery
    try:
        s3.put_object(Bucket="uploads", Key="incoming/meta.json", Body=b"{}", Metadata={"variant": "sfn"})
    finally:
        runtime.s3_events._invoke_async = deliver

    assert seen == [{"variant": "sfn"}]
