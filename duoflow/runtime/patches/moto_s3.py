"""moto's S3 (``pins.PINNED["moto"]``, 5.2.5): requests on objects take turns.

Fix (always installed): ``S3Response.key_response`` (moto/s3/responses.py). moto's ``put_object`` stores the new
object, then reads it again for the answer's ETag: if another PUT of the same key replaced (and closed) it in
between, the answer fails with "I/O operation on closed file". AWS serves them concurrently; here requests on
objects take turns (their own lock: S3 never waits for DynamoDB). duoflow/runtime/s3_events.py wraps this
handler in turn (installed after it, removed before it).

Guarded by tests/runtime/test_moto_object_requests.py.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

_KEY_RESPONSE = Target("moto.s3.responses", "S3Response.key_response")
FIXES = (_KEY_RESPONSE,)
SPEEDUPS: tuple[Target, ...] = ()

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    from moto.s3.responses import S3Response

    lock = threading.RLock()
    unlocked = S3Response.key_response

    @functools.wraps(unlocked)
    def key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        with lock:
            return unlocked(self, request, full_url, headers)

    _patcher.replace(_KEY_RESPONSE, key_response)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()
