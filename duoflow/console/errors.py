"""Unexpected errors: every request gets an id; an exception nobody caught is logged to stderr on one line with
that id (never a stack trace to the client) and answered 500 ``{"message": "internal error", "request_id": ...}``.

The id is also the ``requestContext.requestId`` of the HTTP API event the gateway stand-in sends to the API
Lambda (gateway.py reads it with ``current_request_id``), so a line in the server's output, the Lambda's own
log and the client's answer can be matched. Every answer carries it in ``x-request-id``.
"""

from __future__ import annotations

import json
import sys
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_request_id: ContextVar[str | None] = ContextVar("duoflow_request_id", default=None)


def new_request_id() -> str:
    return str(uuid.uuid4())


def current_request_id() -> str | None:
    """The id of the request being answered (None outside a request)."""
    return _request_id.get()


def log_failure(request_id: str, method: str, path: str, what: str) -> None:
    """One line on stderr, whatever ``what`` holds (newlines folded)."""
    text = " ".join(what.split())
    sys.stderr.write(f"duoflow console: request {request_id} {method} {path} failed: {text}\n")
    sys.stderr.flush()


def internal_error_body(request_id: str) -> bytes:
    return json.dumps({"message": "internal error", "request_id": request_id}).encode()


class UnexpectedErrors:
    """Gives each HTTP request an id, and turns an exception from anything inside into a logged 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        token = _request_id.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER.encode(), request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:  # the one place that answers for every unexpected failure
            log_failure(request_id, scope["method"], scope["path"], f"{type(error).__name__}: {error}")
            if started:
                return  # the answer is under way: the client sees a cut response, the log says why
            body = internal_error_body(request_id)
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            _request_id.reset(token)
