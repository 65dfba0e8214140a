"""The console's stand-in for API Gateway: an HTTP request → an HTTP API (payload 2.0) event → the same
``duoflow-api`` Lambda that runs in AWS, invoked through boto3 (one API code path).

It plays the JWT authorizer too: a bearer token is verified (signature, issuer, expiry) and its claims go into
``requestContext.authorizer.jwt.claims`` flattened as API Gateway flattens them; an invalid token is refused
with 401 before the Lambda runs, as API Gateway would. Whether the route needs a role is the Lambda's call
(services/api/auth.py), so the message a user sees is the API's own.

Each request has an id (the console's, errors.py; a new one outside a request), sent as the event's
``requestContext.requestId`` and in the ``apigw-requestid`` header, as API Gateway does. When the Lambda fails
(a ``FunctionError``: it raised instead of answering), the failure is logged on stderr with that id and the
client gets a 500 carrying it, never the Lambda's error or stack trace.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from duoflow.api_client import API_FUNCTION, http_api_event
from duoflow.console.errors import current_request_id, log_failure, new_request_id
from duoflow.console.tokens import InvalidToken, TokenSigner

# One line per API request (duoflow serve prints them): method, path, status, duration, request id.
ACCESS_LOG = logging.getLogger("duoflow.access")


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


def _access_logged(handle: Callable[..., GatewayResponse]) -> Callable[..., GatewayResponse]:
    """An access line per request (method, path, status, duration, request id) to ``duoflow.access``, which
    ``duoflow serve`` prints, as API Gateway's access log would."""

    @functools.wraps(handle)
    def timed(self: Any, method: str, path: str, *request: Any, **options: Any) -> GatewayResponse:
        began = time.perf_counter()
        answered = handle(self, method, path, *request, **options)
        milliseconds = (time.perf_counter() - began) * 1000
        request_id = answered.headers.get("apigw-requestid", "")
        ACCESS_LOG.info("%s %s %d %.0f ms %s", method, path, answered.status, milliseconds, request_id)
        return answered

    return timed


class ApiGateway:
    def __init__(self, lambda_client: Callable[[], Any], signer: TokenSigner, function: str = API_FUNCTION) -> None:
        self._lambda = lambda_client
        self._signer = signer
        self._function = function

    @_access_logged
    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: str | None,
        authorization: str | None,
        headers: Mapping[str, str] | None = None,
    ) -> GatewayResponse:
        """``headers``: the request's own (Idempotency-Key, Content-Type, ...); API Gateway passes them on
        lower-cased, as here."""
        request_id = current_request_id() or new_request_id()
        claims = None
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _error(401, "the Authorization header must be 'Bearer <token>'", request_id)
            try:
                claims = self._signer.verify(token.strip())
            except InvalidToken as error:
                return _error(401, f"unauthorized: {error}", request_id)
        passed_on = {key.lower(): value for key, value in (headers or {}).items()}
        event = http_api_event(
            method, path, body if body else None, query or None, claims, passed_on, request_id=request_id
        )
        response = self._lambda().invoke(FunctionName=self._function, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            # API Gateway answers 500 with a generic message; the Lambda's error goes to the log, with the id.
            error = payload if isinstance(payload, dict) else {}
            failure = f"the {self._function} Lambda failed: {error.get('errorType', response['FunctionError'])}: "
            log_failure(request_id, method, path, failure + str(error.get("errorMessage", "")))
            return _error(500, "internal server error", request_id, {"request_id": request_id})
        headers = {key.lower(): str(value) for key, value in (payload.get("headers") or {}).items()}
        headers.setdefault("content-type", "application/json")
        headers["apigw-requestid"] = request_id
        return GatewayResponse(int(payload.get("statusCode", 200)), headers, payload.get("body") or "")


def _error(status: int, message: str, request_id: str, extra: dict[str, str] | None = None) -> GatewayResponse:
    headers = {"content-type": "application/json", "apigw-requestid": request_id}
    return GatewayResponse(status, headers, json.dumps({"message": message, **(extra or {})}))
