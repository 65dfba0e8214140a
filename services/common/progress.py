"""The application's progress log and audit trail (the seed's GET /status), and its current status.

One DynamoDB table, keyed by application id:
  entry = "STATUS"          the current status, outcome and reason (what GET /status shows on top)
  entry = "LOG#<entry_id>"  one progress / audit entry; written at most once per entry_id, so a durable
                            replay or a Step Functions retry that records the same entry again adds nothing
  entry = "APPROVAL"        a pending manager approval and its task token (sparse index "pending")
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

STATUS_ENTRY = "STATUS"
APPROVAL_ENTRY = "APPROVAL"
LOG_PREFIX = "LOG#"
PENDING_INDEX = "pending"


def dynamo_values(values: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB takes numbers as Decimal, not float."""
    return json.loads(json.dumps(values), parse_float=Decimal)


def utc_now() -> str:
    """ISO 8601 UTC with milliseconds and "Z", the format of JSONata's $now() in the state machines, so
    entries written by Lambdas and by the workflow sort together."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class ProgressEntry:
    entry_id: str
    step: str
    message: str
    actor: str = "system"
    level: str = "info"
    at: str = field(default_factory=utc_now)


class ProgressLog(Protocol):
    def record(self, application_id: str, entry: ProgressEntry) -> bool:
        """Add the entry unless one with the same id exists; True when it was added."""

    def set_status(self, application_id: str, **fields: Any) -> None: ...

    def status(self, application_id: str) -> dict[str, Any] | None: ...

    def entries(self, application_id: str) -> list[dict[str, Any]]: ...

    def put_pending_approval(self, application_id: str, approval: dict[str, Any]) -> None: ...

    def pending_approval(self, application_id: str) -> dict[str, Any] | None: ...

    def remove_pending_approval(self, application_id: str) -> None: ...

    def pending_approvals(self) -> list[dict[str, Any]]: ...

    def record_decision(self, application_id: str, outcome: dict[str, Any]) -> None:
        """The decision, at once: the status and outcome, the audit trail's "decision" entry, and the
        withdrawal of any pending approval. The state machines write the same items in one transaction."""


def _by_time(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Oldest first, without the table's own keys."""
    entries = [{k: v for k, v in entry.items() if k not in ("application_id", "entry")} for entry in entries]
    return sorted(entries, key=lambda entry: (entry["at"], entry["entry_id"]))


class DynamoProgressLog:
    def __init__(self, table: Any) -> None:
        self._table = table

    def record(self, application_id: str, entry: ProgressEntry) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._table.put_item(
                Item={"application_id": application_id, "entry": LOG_PREFIX + entry.entry_id, **entry.__dict__},
                ConditionExpression="attribute_not_exists(entry)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_status(self, application_id: str, **fields: Any) -> None:
        fields = {"updated_at": utc_now(), **fields}
        names = {f"#{key}": key for key in fields}
        values = dynamo_values({f":{key}": value for key, value in fields.items()})
        self._table.update_item(
            Key={"application_id": application_id, "entry": STATUS_ENTRY},
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in fields),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def status(self, application_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"application_id": application_id, "entry": STATUS_ENTRY}, ConsistentRead=True)
        return plain_item(item.get("Item"))

    def entries(self, application_id: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self._table.query(
            KeyConditionExpression=Key("application_id").eq(application_id) & Key("entry").begins_with(LOG_PREFIX),
            ConsistentRead=True,
        )["Items"]
        return _by_time([plain_item(item) for item in items])

    def put_pending_approval(self, application_id: str, approval: dict[str, Any]) -> None:
        self._table.put_item(
            Item=dynamo_values(
                {
                    "application_id": application_id,
                    "entry": APPROVAL_ENTRY,
                    "pending_kind": "manager-approval",
                    **approval,
                }
            )
        )

    def pending_approval(self, application_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(
            Key={"application_id": application_id, "entry": APPROVAL_ENTRY}, ConsistentRead=True
        )
        return plain_item(item.get("Item"))

    def remove_pending_approval(self, application_id: str) -> None:
        self._table.delete_item(Key={"application_id": application_id, "entry": APPROVAL_ENTRY})

    def record_decision(self, application_id: str, outcome: dict[str, Any]) -> None:
        at = utc_now()
        # The resource's client serializes plain Python values itself (a {"S": ...} would be stored as a map).
        table, key = self._table.name, {"application_id": application_id}
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
                {"Put": {"TableName": table, "Item": {**key, **_decision_entry(outcome, at)}}},
                {"Delete": {"TableName": table, "Key": {**key, "entry": APPROVAL_ENTRY}}},
            ]
        )

    def pending_approvals(self) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self._table.query(
            IndexName=PENDING_INDEX, KeyConditionExpression=Key("pending_kind").eq("manager-approval")
        )["Items"]
        return [plain_item(item) for item in items]


def _decision_entry(outcome: dict[str, Any], at: str) -> dict[str, str]:
    return {
        "entry": LOG_PREFIX + "decision",
        "entry_id": "decision",
        "step": "decision",
        "message": f"{outcome['outcome']}: {outcome['reason']}",
        "actor": "workflow",
        "level": "info",
        "at": at,
    }


def plain_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """DynamoDB numbers come back as Decimal; callers want plain JSON numbers."""
    if item is None:
        return None
    return json.loads(json.dumps(item, default=lambda value: float(value) if value % 1 else int(value)))


class InMemoryProgressLog:
    def __init__(self) -> None:
        self._logs: dict[str, dict[str, dict[str, Any]]] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._approvals: dict[str, dict[str, Any]] = {}

    def record(self, application_id: str, entry: ProgressEntry) -> bool:
        log = self._logs.setdefault(application_id, {})
        if entry.entry_id in log:
            return False
        log[entry.entry_id] = dict(entry.__dict__)
        return True

    def set_status(self, application_id: str, **fields: Any) -> None:
        self._status.setdefault(application_id, {"application_id": application_id}).update(
            updated_at=utc_now(), **fields
        )

    def status(self, application_id: str) -> dict[str, Any] | None:
        return self._status.get(application_id)

    def entries(self, application_id: str) -> list[dict[str, Any]]:
        return _by_time(list(self._logs.get(application_id, {}).values()))

    def put_pending_approval(self, application_id: str, approval: dict[str, Any]) -> None:
        self._approvals[application_id] = {"application_id": application_id, **approval}

    def pending_approval(self, application_id: str) -> dict[str, Any] | None:
        return self._approvals.get(application_id)

    def remove_pending_approval(self, application_id: str) -> None:
        self._approvals.pop(application_id, None)

    def pending_approvals(self) -> list[dict[str, Any]]:
        return list(self._approvals.values())

    def record_decision(self, application_id: str, outcome: dict[str, Any]) -> None:
        self.set_status(
            application_id,
            status=outcome["outcome"],
            outcome=outcome["outcome"],
            reason=outcome["reason"],
            outcome_json=json.dumps(outcome),
        )
        entry = ProgressEntry(
            "decision", step="decision", message=f"{outcome['outcome']}: {outcome['reason']}", actor="workflow"
        )
        self.record(application_id, entry)
        self.remove_pending_approval(application_id)
