"""A training request's progress log and audit trail, its current status, and its pending HR review.

One DynamoDB table (``training-progress``), keyed by request id, in the loan's shape
(services/common/progress.py):
  entry = "STATUS"          the current status, outcome and reason
  entry = "LOG#<entry_id>"  one audit entry, written at most once per entry_id (put-if-absent), so a durable
                            replay or a Step Functions retry that records the same entry again adds nothing
  entry = "REVIEW"          a pending HR review with its task token or callback id (sparse index "pending")
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from services.common.progress import (
    LOG_PREFIX,
    PENDING_INDEX,
    STATUS_ENTRY,
    ProgressEntry,
    dynamo_values,
    plain_item,
    utc_now,
)

REVIEW_ENTRY = "REVIEW"
PENDING_KIND = "hr-review"
KEY = "request_id"

# The order a request's entries are written in. Entries written in the same millisecond (the timestamps'
# resolution) sort by it, so the audit trail reads in the order things happened.
ENTRY_ORDER = (
    "received",
    "screened",
    "hr-review-requested",
    "hr-decision",
    "budget-reserved",
    "seat-booked",
    "calendar-added",
    "enrollment-failed",
    "calendar-removed",
    "seat-cancelled",
    "budget-released",
    "result-written",
    "decision",
)


def _order(entry: dict[str, Any]) -> tuple[str, int, str]:
    rank = ENTRY_ORDER.index(entry["entry_id"]) if entry["entry_id"] in ENTRY_ORDER else len(ENTRY_ORDER)
    return entry["at"], rank, entry["entry_id"]


def _by_time(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    entries = [{k: v for k, v in entry.items() if k not in (KEY, "entry")} for entry in entries]
    return sorted(entries, key=_order)


class TrainingLog(Protocol):
    def record(self, request_id: str, entry: ProgressEntry) -> bool:
        """Add the entry unless one with the same id exists; True when it was added."""

    def set_status(self, request_id: str, **fields: Any) -> None: ...

    def status(self, request_id: str) -> dict[str, Any] | None: ...

    def entries(self, request_id: str) -> list[dict[str, Any]]: ...

    def put_pending_review(self, request_id: str, review: dict[str, Any]) -> None: ...

    def pending_review(self, request_id: str) -> dict[str, Any] | None: ...

    def remove_pending_review(self, request_id: str) -> None: ...

    def pending_reviews(self) -> list[dict[str, Any]]: ...

    def record_decision(self, request_id: str, outcome: dict[str, Any]) -> None:
        """At once: the status and outcome, the audit trail's "decision" entry, the withdrawal of any pending
        review. The state machines write the same items in one transaction."""


def decision_message(outcome: dict[str, Any]) -> str:
    return f"{outcome['outcome']}: {outcome['reason']}"


class DynamoTrainingLog:
    def __init__(self, table: Any) -> None:
        self._table = table

    def record(self, request_id: str, entry: ProgressEntry) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._table.put_item(
                Item={KEY: request_id, "entry": LOG_PREFIX + entry.entry_id, **entry.__dict__},
                ConditionExpression="attribute_not_exists(entry)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_status(self, request_id: str, **fields: Any) -> None:
        fields = {"updated_at": utc_now(), **fields}
        self._table.update_item(
            Key={KEY: request_id, "entry": STATUS_ENTRY},
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in fields),
            ExpressionAttributeNames={f"#{key}": key for key in fields},
            ExpressionAttributeValues=dynamo_values({f":{key}": value for key, value in fields.items()}),
        )

    def status(self, request_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={KEY: request_id, "entry": STATUS_ENTRY}, ConsistentRead=True)
        return plain_item(item.get("Item"))

    def entries(self, request_id: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self._table.query(
            KeyConditionExpression=Key(KEY).eq(request_id) & Key("entry").begins_with(LOG_PREFIX),
            ConsistentRead=True,
        )["Items"]
        return _by_time([plain_item(item) for item in items])

    def put_pending_review(self, request_id: str, review: dict[str, Any]) -> None:
        self._table.put_item(
            Item=dynamo_values({KEY: request_id, "entry": REVIEW_ENTRY, "pending_kind": PENDING_KIND, **review})
        )

    def pending_review(self, request_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={KEY: request_id, "entry": REVIEW_ENTRY}, ConsistentRead=True)
        return plain_item(item.get("Item"))

    def remove_pending_review(self, request_id: str) -> None:
        self._table.delete_item(Key={KEY: request_id, "entry": REVIEW_ENTRY})

    def pending_reviews(self) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self._table.query(IndexName=PENDING_INDEX, KeyConditionExpression=Key("pending_kind").eq(PENDING_KIND))[
            "Items"
        ]
        return [plain_item(item) for item in items]

    def record_decision(self, request_id: str, outcome: dict[str, Any]) -> None:
        at = utc_now()
        table, key = self._table.name, {KEY: request_id}
        self._table.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {**key, "entry": STATUS_ENTRY},
                        "UpdateExpression": "SET #status = :outcome, outcome = :outcome, reason = :reason, "
                        "outcome_json = :outcome_json, updated_at = :at",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":outcome": outcome["outcome"],
                            ":reason": outcome["reason"],
                            ":outcome_json": json.dumps(outcome),
                            ":at": at,
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {
                            **key,
                            "entry": LOG_PREFIX + "decision",
                            "entry_id": "decision",
                            "step": "decision",
                            "message": decision_message(outcome),
                            "actor": "workflow",
                            "level": "info",
                            "at": at,
                        },
                    }
                },
                {"Delete": {"TableName": table, "Key": {**key, "entry": REVIEW_ENTRY}}},
            ]
        )


class InMemoryTrainingLog:
    def __init__(self) -> None:
        self._logs: dict[str, dict[str, dict[str, Any]]] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._reviews: dict[str, dict[str, Any]] = {}

    def record(self, request_id: str, entry: ProgressEntry) -> bool:
        log = self._logs.setdefault(request_id, {})
        if entry.entry_id in log:
            return False
        log[entry.entry_id] = dict(entry.__dict__)
        return True

    def set_status(self, request_id: str, **fields: Any) -> None:
        self._status.setdefault(request_id, {KEY: request_id}).update(updated_at=utc_now(), **fields)

    def status(self, request_id: str) -> dict[str, Any] | None:
        return self._status.get(request_id)

    def entries(self, request_id: str) -> list[dict[str, Any]]:
        return _by_time(list(self._logs.get(request_id, {}).values()))

    def put_pending_review(self, request_id: str, review: dict[str, Any]) -> None:
        self._reviews[request_id] = {KEY: request_id, **review}

    def pending_review(self, request_id: str) -> dict[str, Any] | None:
        return self._reviews.get(request_id)

    def remove_pending_review(self, request_id: str) -> None:
        self._reviews.pop(request_id, None)

    def pending_reviews(self) -> list[dict[str, Any]]:
        return list(self._reviews.values())

    def record_decision(self, request_id: str, outcome: dict[str, Any]) -> None:
        self.set_status(
            request_id,
            status=outcome["outcome"],
            outcome=outcome["outcome"],
            reason=outcome["reason"],
            outcome_json=json.dumps(outcome),
        )
        self.record(
            request_id, ProgressEntry("decision", step="decision", message=decision_message(outcome), actor="workflow")
        )
        self.remove_pending_review(request_id)
