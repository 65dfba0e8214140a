"""The workflow log's DynamoDB adapter speaks the low-level client's language: attribute values on the way in
and out, and a query read to its last page (a page holds at most 1 MB)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from services.common.progress import DynamoProgressLog, ProgressEntry

TABLE = "loan-progress"


def _log():
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    return DynamoProgressLog(client, TABLE), Stubber(client)


def _entry(entry_id: str, at: str) -> dict:
    return {
        "application_id": {"S": "app-1"},
        "entry": {"S": f"LOG#{entry_id}"},
        "entry_id": {"S": entry_id},
        "step": {"S": entry_id},
        "message": {"S": f"{entry_id} done"},
        "actor": {"S": "system"},
        "level": {"S": "info"},
        "at": {"S": at},
    }


def test_entries_are_read_page_after_page_oldest_first():
    log, stub = _log()
    query = {
        "TableName": TABLE,
        "KeyConditionExpression": "#key = :id AND begins_with(#entry, :prefix)",
        "ExpressionAttributeNames": {"#key": "application_id", "#entry": "entry"},
        "ExpressionAttributeValues": {":id": {"S": "app-1"}, ":prefix": {"S": "LOG#"}},
        "ConsistentRead": True,
    }
    last = {"application_id": {"S": "app-1"}, "entry": {"S": "LOG#scored"}}
    stub.add_response(
        "query", {"Items": [_entry("scored", "2026-11-23T10:00:02.000Z")], "LastEvaluatedKey": last}, query
    )
    stub.add_response(
        "query", {"Items": [_entry("received", "2026-11-23T10:00:01.000Z")]}, {**query, "ExclusiveStartKey": last}
    )
    with stub:
        entries = log.entries("app-1")
    stub.assert_no_pending_responses()
    assert [entry["entry_id"] for entry in entries] == ["received", "scored"]
    assert entries[0] == {
        "entry_id": "received",
        "step": "received",
        "message": "received done",
        "actor": "system",
        "level": "info",
        "at": "2026-11-23T10:00:01.000Z",
    }


def test_a_status_goes_in_as_attribute_values_and_comes_back_as_plain_json():
    log, stub = _log()
    stub.add_response(
        "get_item",
        {"Item": {"application_id": {"S": "app-1"}, "entry": {"S": "STATUS"}, "amount": {"N": "25000.5"}}},
        {
            "TableName": TABLE,
            "Key": {"application_id": {"S": "app-1"}, "entry": {"S": "STATUS"}},
            "ConsistentRead": True,
        },
    )
    stub.add_response("get_item", {}, None)
    with stub:
        assert log.status("app-1") == {"application_id": "app-1", "entry": "STATUS", "amount": 25000.5}
        assert log.status("unknown") is None


def test_an_entry_recorded_twice_is_kept_once():
    log, stub = _log()
    entry = ProgressEntry("received", step="received", message="application received", at="2026-11-23T10:00:00.000Z")
    stub.add_response("put_item", {})
    stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException")
    with stub:
        assert log.record("app-1", entry) is True
        assert log.record("app-1", entry) is False
