"""S3 → EventBridge → Lambda on the local runtime: an object created under a prefix invokes a function.

In AWS a bucket with EventBridge notifications turned on sends every "Object Created" event to EventBridge, and
a rule (source ``aws.s3``, detail-type ``Object Created``, bucket name, key prefix) invokes its target
asynchronously. Here one hook on moto's S3 notification point does the same: for a bucket whose notification
configuration has ``EventBridgeConfiguration`` (as in AWS: without it no event leaves the bucket), every
object created under a routed prefix invokes the routed function with ``InvocationType=Event`` and the event in
EventBridge's shape. It knows nothing about what the function does.

    runtime.s3_events.route("uploads", "incoming/", "on-upload")
"""

from __future__ import annotations

import datetime
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("duoflow.runtime.s3_events")

DETAIL_TYPE = "Object Created"
# moto's event name (the S3 notification's) → EventBridge's "reason"
REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}


@dataclass(frozen=True)
class Route:
    bucket: str
    prefix: str
    function: str


def object_created_event(
    account_id: str, region: str, bucket: str, key: str, size: int, etag: str, version_id: str | None, reason: str
) -> dict[str, Any]:
    """The event EventBridge delivers for an object created in S3 (docs: "Amazon S3 event notifications with
    EventBridge", Object Created)."""
    detail_object: dict[str, Any] = {"key": key, "size": size, "etag": etag, "sequencer": uuid.uuid4().hex[:18].upper()}
    if version_id:
        detail_object["version-id"] = version_id
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.s3",
        "account": account_id,
        "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": detail_object,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": reason,
        },
    }


class S3Events:
    """Routes "Object Created" events of EventBridge-enabled buckets to functions (Event invokes)."""

    def __init__(self, invoke_async: Callable[[str, bytes], None], account_id: str, region: str) -> None:
        self._invoke_async = invoke_async
        self._account_id, self._region = account_id, region
        self._routes: list[Route] = []
        self._lock = threading.Lock()
        self._original: Callable[..., None] | None = None
        self.delivered: list[tuple[str, dict[str, Any]]] = []  # (function, event), for tests and the console

    def route(self, bucket: str, prefix: str, function: str) -> None:
        """Objects created in ``bucket`` with a key starting with ``prefix`` invoke ``function``."""
        with self._lock:
            self._routes.append(Route(bucket, prefix, function))

    def install(self) -> S3Events:
        from moto.s3 import notifications

        if self._original is None:
            self._original = notifications.send_event
            original = self._original

            def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
                original(account_id, event_name, bucket, key)
                self._on_event(str(getattr(event_name, "value", event_name)), bucket, key)

            notifications.send_event = send_event
        return self

    def uninstall(self) -> None:
        from moto.s3 import notifications

        if self._original is not None:
            notifications.send_event = self._original
            self._original = None

    def _on_event(self, event_name: str, bucket: Any, key: Any) -> None:
        if not event_name.startswith("s3:ObjectCreated:"):
            return
        configuration = bucket.notification_configuration
        if configuration is None or configuration.event_bridge is None:
            return  # as in AWS: no EventBridgeConfiguration, no events
        with self._lock:
            targets = [r.function for r in self._routes if r.bucket == bucket.name and key.name.startswith(r.prefix)]
        if not targets:
            return
        version_id = key.version_id if getattr(bucket, "is_versioned", False) else None
        event = object_created_event(
            self._account_id,
            self._region,
            bucket.name,
            key.name,
            key.size,
            key.etag.replace('"', ""),
            version_id,
            REASONS.get(event_name, "PutObject"),
        )
        for function in targets:
            try:
                self._invoke_async(function, json.dumps(event).encode())
            except Exception as error:  # an async delivery never fails the upload (as in AWS)
                logger.error(
                    "could not deliver %s for s3://%s/%s to %s: %s", DETAIL_TYPE, bucket.name, key.name, function, error
                )
                continue
            with self._lock:
                self.delivered.append((function, event))
