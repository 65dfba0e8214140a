"""S3 → EventBridge → Lambda on the local runtime: an object created under a prefix invokes a function.

In AWS a bucket with EventBridge notifications turned on sends every "Object Created" event to EventBridge, and
a rule (source ``aws.s3``, detail-type ``Object Created``, bucket name, key prefix) invokes its target
asynchronously. Here one hook on moto's S3 notification point does the same: for a bucket whose notification
configuration has ``EventBridgeConfiguration`` (as in AWS: without it no event leaves the bucket), every
object created under a routed prefix invokes the routed function with ``InvocationType=Event`` and the event in
EventBridge's shape. It knows nothing about what the function does.

moto sends its notification from inside the storage call, before the request handler sets the object's
metadata, tags and ACL; a function invoked at that moment can read the object without them. AWS emits the event
once the PUT has completed, so events raised while moto handles an S3 request are held and delivered when the
request is done.

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

from duoflow.runtime.in_flight import recent_deliveries

logger = logging.getLogger("duoflow.runtime.s3_events")
# moto's S3 request handlers; events raised while one runs are delivered when it returns
REQUEST_HANDLERS = ("bucket_response", "key_response")
_held = threading.local()  # .events: the events of the S3 request this thread is handling

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
        self._original_handlers: dict[str, Callable[..., Any]] = {}
        self.delivered = recent_deliveries()  # for tests

    def route(self, bucket: str, prefix: str, function: str) -> None:
        """Objects created in ``bucket`` with a key starting with ``prefix`` invoke ``function``."""
        with self._lock:
            self._routes.append(Route(bucket, prefix, function))

    def install(self) -> S3Events:
        from moto.s3 import notifications
        from moto.s3.responses import S3Response

        if self._original is None:
            self._original = notifications.send_event
            original = self._original

            def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
                original(account_id, event_name, bucket, key)
                event = (str(getattr(event_name, "value", event_name)), bucket, key)
                held = getattr(_held, "events", None)
                if held is not None:
                    held.append(event)  # the request that created it is not done yet
                else:
                    self._on_event(*event)

            notifications.send_event = send_event
            for name in REQUEST_HANDLERS:
                self._original_handlers[name] = getattr(S3Response, name)
                setattr(S3Response, name, self._holding(self._original_handlers[name]))
        return self

    def _holding(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        def handle(response: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_held, "events", None) is not None:  # an inner handler of the same request
                return handler(response, *args, **kwargs)
            _held.events = []
            try:
                return handler(response, *args, **kwargs)
            finally:
                events, _held.events = _held.events, None
                for event in events:
                    self._on_event(*event)

        return handle

    def uninstall(self) -> None:
        from moto.s3 import notifications
        from moto.s3.responses import S3Response

        if self._original is not None:
            notifications.send_event = self._original
            self._original = None
            for name, handler in self._original_handlers.items():
                setattr(S3Response, name, handler)
            self._original_handlers.clear()

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
