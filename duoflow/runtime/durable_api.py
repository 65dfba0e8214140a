"""The Lambda durable-execution APIs, served inside moto's interception of the ``lambda`` endpoint.

A plain ``boto3.client("lambda")`` — in a test, in the demo, or inside a Lambda handler running on the
runtime — reaches ``send_durable_execution_callback_success``, ``get_durable_execution_history`` and the rest
here. The request handling is the durable testing SDK's own (its web server's endpoint handlers and router);
this module only adapts moto's ``(request, url, headers)`` call to them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from aws_durable_execution_sdk_python_testing.exceptions import (
    AwsApiException,
    ResourceNotFoundException,
    UnknownRouteError,
)
from aws_durable_execution_sdk_python_testing.executor import Executor
from aws_durable_execution_sdk_python_testing.web import handlers as h
from aws_durable_execution_sdk_python_testing.web import routes as r
from aws_durable_execution_sdk_python_testing.web.models import HTTPRequest, HTTPResponse

API_VERSION = "2025-12-01"


class DurableApi:
    def __init__(self, executor: Executor) -> None:
        self._router = r.Router()
        self._handlers: dict[type[r.Route], h.EndpointHandler] = {
            r.GetDurableExecutionRoute: h.GetDurableExecutionHandler(executor),
            r.CheckpointDurableExecutionRoute: h.CheckpointDurableExecutionHandler(executor),
            r.StopDurableExecutionRoute: h.StopDurableExecutionHandler(executor),
            r.GetDurableExecutionStateRoute: h.GetDurableExecutionStateHandler(executor),
            r.GetDurableExecutionHistoryRoute: h.GetDurableExecutionHistoryHandler(executor),
            r.ListDurableExecutionsRoute: h.ListDurableExecutionsHandler(executor),
            r.ListDurableExecutionsByFunctionRoute: h.ListDurableExecutionsByFunctionHandler(executor),
            r.CallbackSuccessRoute: h.SendDurableExecutionCallbackSuccessHandler(executor),
            r.CallbackFailureRoute: h.SendDurableExecutionCallbackFailureHandler(executor),
            r.CallbackHeartbeatRoute: h.SendDurableExecutionCallbackHeartbeatHandler(executor),
        }

    def handle(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        parts = urlsplit(url)
        try:
            route = self._router.find_route(_function_name_in_path(parts.path), method)
            handler = self._handlers.get(type(route))
            if handler is None:
                raise UnknownRouteError(method, parts.path)
            make_request = (
                HTTPRequest.from_raw_bytes if isinstance(route, r.BytesPayloadRoute) else HTTPRequest.from_bytes
            )
            extra = {} if isinstance(route, r.BytesPayloadRoute) else {"operation_name": None}
            request = make_request(
                body_bytes=body or b"",
                method=method,
                path=route,
                headers=headers,
                query_params=parse_qs(parts.query),
                **extra,
            )
            response: HTTPResponse = handler.handle(route, request)
        except AwsApiException as error:
            response = HTTPResponse.create_error_from_exception(error)
        except UnknownRouteError as error:
            response = HTTPResponse.create_error_from_exception(ResourceNotFoundException(str(error)))
        payload = response.body_to_bytes() if response.body else b""
        headers = {"content-type": "application/json", **response.headers}
        if response.status_code >= 400 and isinstance(response.body, dict) and response.body.get("Type"):
            headers["x-amzn-ErrorType"] = response.body["Type"]  # how botocore names the error (its Code)
        return response.status_code, headers, payload


def _function_name_in_path(path: str) -> str:
    """Lambda accepts a function's name or ARN in ``/functions/{FunctionName}/...``; the executor knows names."""
    segments = path.split("/")
    if len(segments) > 3 and segments[2] == "functions":
        reference = unquote(segments[3])
        if reference.startswith("arn:"):
            segments[3] = quote(reference.split(":")[6], safe="")
    return "/".join(segments)


def moto_route(api_provider: Any) -> Any:
    """A moto URL handler: ``(request, full_url, headers) -> (status, headers, body)``."""

    def dispatch(request: Any, full_url: str, headers: Any) -> tuple[int, dict, bytes]:
        api = api_provider()
        body = request.get_data()  # moto hands over a werkzeug Request
        return api.handle(request.method, full_url, body, dict(headers))

    return dispatch
