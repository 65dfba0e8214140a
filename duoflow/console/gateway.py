"""The console's stand-in for API Gateway: an HTTP request → an HTTP API (payload 2.0) event → the same
``duoflow-api`` Lambda that runs in AWS, invoked through boto3 (one API code path).

It plays the JWT authorizer too: a bearer token is verified (signature, issuer, expiry) and its claims go into
``requestContext.authorizer.jwt.claims`` flattened as API Gateway flattens them; an invalid token is refused
with 401 before the Lambda runs, as API Gateway would. Whether the route needs a role is the Lambda's call
(services/api/auth.py), so the message a user sees is the API's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from duoflow.api_client import API_FUNCTION, http_api_event
from duoflow.console.tokens import InvalidToken, TokenSigner


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


class ApiGateway:
    def __init__(self, lambda_client: Callable[[], Any], signer: TokenSigner, function: str = API_FUNCTION) -> None:
        self._lambda = lambda_client
        self._signer = signer
        self._function = function

    def handle(
        self, method: str, path: str, query: dict[str, str], body: str | None, authorization: str | None
    ) -> GatewayResponse:
        claims = None
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _error(401, "the Authorization header must be 'Bearer <token>'")
            try:
                claims = self._signer.verify(token.strip())
            except InvalidToken as error:
                return _error(401, f"unauthorized: {error}")
        event = http_api_event(method, path, body if body else None, query or None, claims)
        response = self._lambda().invoke(FunctionName=self._function, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            # API Gateway answers 500 with a generic message; the Lambda's error stays in its logs.
            return _error(500, "internal server error")
        headers = {key.lower(): str(value) for key, value in (payload.get("headers") or {}).items()}
        headers.setdefault("content-type", "application/json")
        return GatewayResponse(int(payload.get("statusCode", 200)), headers, payload.get("body") or "")


def _error(status: int, message: str) -> GatewayResponse:
    return GatewayResponse(status, {"content-type": "application/json"}, json.dumps({"message": message}))
