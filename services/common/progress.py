"""A workflow's progress log and audit trail (the seed's GET /status), its current status, and the person's
decision it may be waiting for. The loan's log is here; the training request's (services/training/audit.py) is
the same log with another layout.

One DynamoDB table, keyed by application id (the loan) or request id (the training request):
  entry = "STATUS"          the current status, outcome and reason (what GET /status shows on top)
  entry = "LOG#<entry_id>"  one progress / audit entry; written at most once per entry_id, so a durable
                            replay or a Step Functions retry that records the same entry again adds nothing
  entry = "APPROVAL"        a pending manager approval and its task token (sparse index "pending"); the
                            training request's pending HR review is "REVIEW"
  entry = "WORKFLOW"        the one workflow this id is bound to: its variant, the request's fingerprint and,
                            once started, its execution (services/common/one_workflow.py); written once
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

STATUS_ENTRY = "STATUS"
APPROVAL_ENTRY = "APPROVAL"
WORKFLOW_ENTRY = "WORKFLOW"
LOG_PREFIX = "LOG#"
# The status GET /status (and the console) answer for an id bound to a workflow that has recorded nothing yet: the
# request was accepted a moment ago, and its first step is still to come.
STARTING = "starting"
PENDING_INDEX = "pending"


def dynamo_values(values: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB takes numbers as Decimal, not float."""
    return json.loads(json.dumps(values), parse_float=Decimal)


def to_dynamo(values: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values as DynamoDB attribute values ({"S": ...}, {"N": ...}, {"M": ...})."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    return {name: serialize(value) for name, value in dynamo_values(values).items()}


def from_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values as Python values (numbers as Decimal)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    return {name: deserialize(value) for name, value in item.items()}


def utc_now() -> str:
    """Now, as ``iso_milliseconds`` writes it."""
    return iso_milliseconds(datetime.datetime.now(datetime.UTC))


def iso_milliseconds(moment: datetime.datetime) -> str:
    """A UTC moment as ISO 8601 with milliseconds and "Z", the format of JSONata's $now() in the state machines and
    of Step Functions' history, so entries written by Lambdas, by the workflow and read from a history sort
    together (the audit export merges them: duoflow/audit_export.py)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class ProgressEntry:
    entry_id: str
    step: str
    message: str
    actor: str = "system"
    level: str = "info"
    at: str = field(default_factory=utc_now)
    # What a decision point came to, in one word, for tools (a person's decision, the fraud check's result: the
    # business metrics count by it, services/metrics/audit_trail.py); not written when there is none.
    outcome: str | None = None

    def item(self) -> dict[str, Any]:
        """The entry's attributes as stored."""
        return {name: value for name, value in self.__dict__.items() if value is not None}


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

    def bind_workflow(self, application_id: str, binding: dict[str, Any]) -> dict[str, Any] | None:
        """Binds the id to one workflow unless it has one: None when bound now, else the existing binding."""

    def note_workflow_execution(self, application_id: str, execution_arn: str) -> None: ...

    def workflow(self, application_id: str) -> dict[str, Any] | None:
        """The workflow the id is bound to (its variant and, once started, its execution), or None."""

    def record_decision(self, application_id: str, outcome: dict[str, Any]) -> None:
        """The decision, at once: the status and outcome, the audit trail's "decision" entry, and the
        withdrawal of any pending approval. The state machines write the same items in one transaction."""


@dataclass(frozen=True)
class LogLayout:
    """Where a scenario's log keeps things in its table."""

    key: str  # the partition key: the id of one application or request
    pending_entry: str  # the item of the decision a person owes ("APPROVAL", "REVIEW")
    pending_kind: str  # its partition key in the sparse PENDING_INDEX
    # Entries written in the same millisecond (the timestamps' resolution) sort in this order, then by id.
    entry_order: tuple[str, ...] = ()

    def by_time(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Oldest first, without the table's own keys."""
        entries = [{k: v for k, v in entry.items() if k not in (self.key, "entry")} for entry in entries]
        return sorted(entries, key=self._order)

    def _order(self, entry: dict[str, Any]) -> tuple[str, int, str]:
        order = self.entry_order
        rank = order.index(entry["entry_id"]) if entry["entry_id"] in order else len(order)
        return entry["at"], rank, entry["entry_id"]


LOAN_LOG = LogLayout(key="application_id", pending_entry=APPROVAL_ENTRY, pending_kind="manager-approval")


def decision_message(outcome: dict[str, Any]) -> str:
    return f"{outcome['outcome']}: {outcome['reason']}"


class DynamoWorkflowLog:
    """The log in a DynamoDB table, through a low-level client: clients are thread-safe and cost milliseconds
    to build, so one serves every thread of a warm Lambda (boto3 resources may not be shared between threads)."""

    def __init__(self, client: Any, table_name: str, layout: LogLayout) -> None:
        self._client = client
        self._table = table_name
        self._layout = layout

    def _key(self, item_id: str, entry: str) -> dict[str, str]:
        return {self._layout.key: item_id, "entry": entry}

    def record(self, item_id: str, entry: ProgressEntry) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_dynamo({**self._key(item_id, LOG_PREFIX + entry.entry_id), **entry.item()}),
                ConditionExpression="attribute_not_exists(entry)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_status(self, item_id: str, **fields: Any) -> None:
        fields = {"updated_at": utc_now(), **fields}
        self._client.update_item(
            TableName=self._table,
            Key=to_dynamo(self._key(item_id, STATUS_ENTRY)),
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in fields),
            ExpressionAttributeNames={f"#{key}": key for key in fields},
            ExpressionAttributeValues=to_dynamo({f":{key}": value for key, value in fields.items()}),
        )

    def status(self, item_id: str) -> dict[str, Any] | None:
        return self._get(self._key(item_id, STATUS_ENTRY))

    def entries(self, item_id: str) -> list[dict[str, Any]]:
        items = self._query(
            "#key = :id AND begins_with(#entry, :prefix)",
            {"#key": self._layout.key, "#entry": "entry"},
            {":id": item_id, ":prefix": LOG_PREFIX},
            ConsistentRead=True,
        )
        return self._layout.by_time(items)

    def put_pending(self, item_id: str, pending: dict[str, Any]) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_dynamo(
                {**self._key(item_id, self._layout.pending_entry), "pending_kind": self._layout.pending_kind, **pending}
            ),
        )

    def pending(self, item_id: str) -> dict[str, Any] | None:
        return self._get(self._key(item_id, self._layout.pending_entry))

    def remove_pending(self, item_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=to_dynamo(self._key(item_id, self._layout.pending_entry)))

    def all_pending(self) -> list[dict[str, Any]]:
        return self._query(
            "#kind = :kind", {"#kind": "pending_kind"}, {":kind": self._layout.pending_kind}, IndexName=PENDING_INDEX
        )

    def record_decision(self, item_id: str, outcome: dict[str, Any]) -> None:
        at = utc_now()
        table = self._table
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": to_dynamo(self._key(item_id, STATUS_ENTRY)),
                        "UpdateExpression": "SET #status = :outcome, outcome = :outcome, reason = :reason, "
                        "outcome_json = :outcome_json, updated_at = :at",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": to_dynamo(
                            {
                                ":outcome": outcome["outcome"],
                                ":reason": outcome["reason"],
                                ":outcome_json": json.dumps(outcome),
                                ":at": at,
                            }
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_dynamo({self._layout.key: item_id, **_decision_entry(outcome, at)}),
                    }
                },
                {"Delete": {"TableName": table, "Key": to_dynamo(self._key(item_id, self._layout.pending_entry))}},
            ]
        )

    def bind_workflow(self, item_id: str, binding: dict[str, Any]) -> dict[str, Any] | None:
        """Writes ``binding`` as the id's workflow unless it has one; None when written, else the one it has."""
        from botocore.exceptions import ClientError

        key = self._key(item_id, WORKFLOW_ENTRY)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_dynamo({**key, **binding}),
                ConditionExpression="attribute_not_exists(entry)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return self._get(key)
            raise
        return None

    def workflow(self, item_id: str) -> dict[str, Any] | None:
        return self._get(self._key(item_id, WORKFLOW_ENTRY))

    def note_workflow_execution(self, item_id: str, execution_arn: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=to_dynamo(self._key(item_id, WORKFLOW_ENTRY)),
            UpdateExpression="SET execution_arn = :arn",
            ExpressionAttributeValues=to_dynamo({":arn": execution_arn}),
        )

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=to_dynamo(key), ConsistentRead=True).get("Item")
        return plain_item(from_dynamo(item)) if item is not None else None

    def _query(self, condition: str, names: dict[str, str], values: dict[str, Any], **options: Any) -> list[dict]:
        """Every matching item, page after page (a page holds at most 1 MB)."""
        found: list[dict[str, Any]] = []
        page: dict[str, Any] = {}
        while True:
            answer = self._client.query(
                TableName=self._table,
                KeyConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_dynamo(values),
                **options,
                **page,
            )
            found.extend(plain_item(from_dynamo(item)) for item in answer["Items"])
            if "LastEvaluatedKey" not in answer:
                return found
            page = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


def _decision_entry(outcome: dict[str, Any], at: str) -> dict[str, str]:
    return {
        "entry": LOG_PREFIX + "decision",
        "entry_id": "decision",
        "step": "decision",
        "message": decision_message(outcome),
        "actor": "workflow",
        "level": "info",
        "at": at,
    }


def plain_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """DynamoDB numbers come back as Decimal; callers want plain JSON numbers."""
    if item is None:
        return None
    return json.loads(json.dumps(item, default=lambda value: float(value) if value % 1 else int(value)))


class InMemoryWorkflowLog:
    def __init__(self, layout: LogLayout) -> None:
        self._layout = layout
        self._logs: dict[str, dict[str, dict[str, Any]]] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._workflows: dict[str, dict[str, Any]] = {}

    def record(self, item_id: str, entry: ProgressEntry) -> bool:
        log = self._logs.setdefault(item_id, {})
        if entry.entry_id in log:
            return False
        log[entry.entry_id] = entry.item()
        return True

    def set_status(self, item_id: str, **fields: Any) -> None:
        self._status.setdefault(item_id, {self._layout.key: item_id}).update(updated_at=utc_now(), **fields)

    def status(self, item_id: str) -> dict[str, Any] | None:
        return self._status.get(item_id)

    def entries(self, item_id: str) -> list[dict[str, Any]]:
        return self._layout.by_time(list(self._logs.get(item_id, {}).values()))

    def put_pending(self, item_id: str, pending: dict[str, Any]) -> None:
        self._pending[item_id] = {self._layout.key: item_id, **pending}

    def pending(self, item_id: str) -> dict[str, Any] | None:
        return self._pending.get(item_id)

    def remove_pending(self, item_id: str) -> None:
        self._pending.pop(item_id, None)

    def all_pending(self) -> list[dict[str, Any]]:
        return list(self._pending.values())

    def bind_workflow(self, item_id: str, binding: dict[str, Any]) -> dict[str, Any] | None:
        if item_id in self._workflows:
            return dict(self._workflows[item_id])
        self._workflows[item_id] = {self._layout.key: item_id, **binding}
        return None

    def note_workflow_execution(self, item_id: str, execution_arn: str) -> None:
        self._workflows[item_id]["execution_arn"] = execution_arn

    def workflow(self, item_id: str) -> dict[str, Any] | None:
        return dict(self._workflows[item_id]) if item_id in self._workflows else None

    def record_decision(self, item_id: str, outcome: dict[str, Any]) -> None:
        self.set_status(
            item_id,
            status=outcome["outcome"],
            outcome=outcome["outcome"],
            reason=outcome["reason"],
            outcome_json=json.dumps(outcome),
        )
        entry = ProgressEntry("decision", step="decision", message=decision_message(outcome), actor="workflow")
        self.record(item_id, entry)
        self.remove_pending(item_id)


class _ManagerApprovals:
    """The loan's names for the decision a person owes: a manager's approval."""

    def put_pending_approval(self, application_id: str, approval: dict[str, Any]) -> None:
        self.put_pending(application_id, approval)

    def pending_approval(self, application_id: str) -> dict[str, Any] | None:
        return self.pending(application_id)

    def remove_pending_approval(self, application_id: str) -> None:
        self.remove_pending(application_id)

    def pending_approvals(self) -> list[dict[str, Any]]:
        return self.all_pending()


class DynamoProgressLog(_ManagerApprovals, DynamoWorkflowLog):
    def __init__(self, client: Any, table_name: str) -> None:
        super().__init__(client, table_name, LOAN_LOG)


class InMemoryProgressLog(_ManagerApprovals, InMemoryWorkflowLog):
    def __init__(self) -> None:
        super().__init__(LOAN_LOG)
