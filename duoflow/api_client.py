"""Calls the HTTP API the way API Gateway does: an HTTP API (payload 2.0) event to the ``duoflow-api`` Lambda,
invoked through boto3. The demo, the tests and (later) the console server all use this one path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

API_FUNCTION = "duoflow-api"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any


def http_api_event(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "queryStringParameters": query or None,
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "duoflow",
            },
            "requestId": "local",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


class ApiClient:
    def __init__(self, lambda_client: Any, function_name: str = API_FUNCTION) -> None:
        self._lambda = lambda_client
        self._function = function_name

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> ApiResponse:
        response = self._lambda.invoke(
            FunctionName=self._function, Payload=json.dumps(http_api_event(method, path, body, query))
        )
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

    def post(self, path: str, body: Any, query: dict[str, str] | None = None) -> ApiResponse:
        return self.call("POST", path, body, query)
