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
    sort_key: str
    pending_index: tuple[str, str] | None = (
        None  # sparse index (services.common.progress.PENDING_INDEX): (partition key, sort key)
    )


TABLES = [TableSpec("loan-progress", "application_id", "entry", pending_index=("pending_kind", "requested_at"))]
TOPICS = ["applicant-notifications", "manager-notifications"]
