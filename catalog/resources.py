"""The stateful resources of duoflow (tables, topics, buckets), declared once.

The local runtime (duoflow/stack.py) creates them; the CDK app (infra/) declares them in AWS, with the
protections AWS needs (encryption, point-in-time recovery, TLS only).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableSpec:
    name: str
    partition_key: str
    sort_key: str | None = None
    pending_index: tuple[str, str] | None = (
        None  # sparse index (services.common.progress.PENDING_INDEX): (partition key, sort key)
    )
    expiry_attribute: str | None = None  # DynamoDB's time to live: items expire at this epoch second
    # DynamoDB Streams (new and old images): every change is a record for the functions of STREAM_RULES
    stream: bool = False


@dataclass(frozen=True)
class BucketSpec:
    name: str
    versioned: bool = False
    # S3 sends its events to EventBridge (AWS: EventBridgeConfiguration; locally the runtime delivers them)
    event_bridge: bool = False


@dataclass(frozen=True)
class UploadRule:
    """An EventBridge rule: an object created in ``bucket`` under ``prefix`` invokes ``function`` (Event)."""

    bucket: str
    prefix: str
    function: str


@dataclass(frozen=True)
class StreamRule:
    """An event source mapping: every change to ``table`` (whose stream is on) invokes ``function`` with its
    stream record."""

    table: str
    function: str


TABLES = [
    TableSpec("loan-progress", "application_id", "entry", pending_index=("pending_kind", "requested_at"), stream=True),
    TableSpec("training-progress", "request_id", "entry", pending_index=("pending_kind", "requested_at"), stream=True),
    # Powertools' idempotency records of the HTTP API (an Idempotency-Key's first answer), its default layout
    TableSpec("api-idempotency", "id", expiry_attribute="expiration"),
]
TOPICS = ["applicant-notifications", "manager-notifications", "employee-notifications", "hr-notifications"]
# Requests are versioned: the upload's event names its version, so a workflow reads exactly the document that
# started it, even if the key is uploaded again.
BUCKETS = [BucketSpec("training-requests", versioned=True, event_bridge=True), BucketSpec("training-results")]
UPLOAD_RULES = [UploadRule("training-requests", "requests/", "training-upload")]
# The audit trails' changes feed the business metrics (services/metrics/audit_trail.py says why from there).
STREAM_RULES = [
    StreamRule("loan-progress", "metrics-audit-trail"),
    StreamRule("training-progress", "metrics-audit-trail"),
]
