"""Calls the HTTP API the way API Gateway does: an HTTP API (payload 2.0) event to the ``duoflow-api`` Lambda,
invoked through boto3. The demo, the tests and the console server all use this one path.

``claims`` play API Gateway's JWT authorizer: they go where it puts a verified token's claims
(``requestContext.authorizer.jwt.claims``), flattened as it flattens them (a list becomes ``"[a b]"``); the
handler checks the route's role against them (services/api/auth.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from services.api.routes import ROLE_CLAIM

API_FUNCTION = "duoflow-api"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any


def role_claims(role: str, username: str) -> dict[str, Any]:
    """The claims of a Cognito user in one group, as the handler sees them behind the JWT authorizer."""
    return {"sub": f"local-{username}", "username": username, ROLE_CLAIM: [role], "token_use": "id"}


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway's JWT authorizer passes every claim as a string; arrays as ``[a b]``."""
    return {
        key: "[" + " ".join(str(item) for item in value) + "]" if isinstance(value, list | tuple) else str(value)
        for key, value in claims.items()
    }


def http_api_event(
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, str] | None = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str = "local",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event; ``request_id`` is its ``requestContext.requestId``, which API
    Gateway makes unique per request (the console's gateway passes the id it logs failures with)."""
    request_context: dict[str, Any] = {
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "duoflow",
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
    }
    if claims:
        request_context["authorizer"] = {"jwt": {"claims": authorizer_claims(claims), "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "queryStringParameters": query or None,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": request_context,
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


class ApiClient:
    """Calls the API as one caller: anonymous, or with the claims of a signed-in user (``acting_as``)."""

    def __init__(
        self, lambda_client: Any, function_name: str = API_FUNCTION, claims: dict[str, Any] | None = None
    ) -> None:
        self._lambda = lambda_client
        self._function = function_name
        self.claims = claims

    def acting_as(self, claims: dict[str, Any] | None) -> ApiClient:
        """The same API, called by the user with these claims (None: nobody signed in)."""
        return ApiClient(self._lambda, self._function, claims)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        event = http_api_event(method, path, body, query, self.claims, headers)
        response = self._lambda.invoke(FunctionName=self._function, Payload=json.dumps(event))
        payload = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            raise RuntimeError(f"the API failed: {payload.get('errorType')}: {payload.get('errorMessage')}")
        text = payload.get("body") or "null"
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = text
        return ApiResponse(payload["statusCode"], parsed)

    def get(self, path: str) -> ApiResponse:
        return self.call("GET", path)

    def post(
        self, path: str, body: Any, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> ApiResponse:
        return self.call("POST", path, body, query, headers)
