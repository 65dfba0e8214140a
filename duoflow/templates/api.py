"""A template's API routes, served over HTTP as API Gateway would: each request becomes the event its route's
payload format gives (HTTP API 2.0, REST API 1.0) and invokes the route's function through the runtime's Lambda
``Invoke``; the function's answer becomes the response (``statusCode``, ``headers``, ``body``, ``isBase64Encoded``;
for an HTTP API, any other value is returned as JSON with 200, as API Gateway does).

Routes match as API Gateway matches them: the method (``ANY`` matches every method), then the path, with
``{name}`` one segment and ``{name+}`` the rest; a literal segment wins over a parameter; ``$default`` takes what
no other route does. An API with a CORS configuration gets API Gateway's CORS answers: a preflight is answered
without calling a function, and a response to an allowed origin carries ``Access-Control-Allow-Origin``. No route: 404 ``{"message": "Not Found"}``. A function that fails: 500 (HTTP API) or 502
(REST API) ``{"message": "Internal Server Error"}``, as API Gateway answers.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from duoflow.templates.plan import Cors, Route

Invoke = Callable[[str, bytes], tuple[bytes, str | None]]  # function, payload → (answer, FunctionError or None)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _pattern(path: str) -> re.Pattern[str]:
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        single = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif single:
            parts.append(f"(?P<{single.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts) + "/?" if parts != [""] else "/")


def _specificity(route: Route) -> tuple[int, int, int]:
    segments = route.path.strip("/").split("/")
    literal = sum(1 for segment in segments if not segment.startswith("{"))
    greedy = any(segment.endswith("+}") for segment in segments)
    return (not greedy, literal, route.method != "ANY")


def match(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a request takes, and its path parameters."""
    candidates = []
    for route in routes:
        if route.path == "$default" or route.method not in ("ANY", method):
            continue
        found = _pattern(route.path).fullmatch(path)
        if found:
            candidates.append((_specificity(route), route, {k: unquote(v) for k, v in found.groupdict().items()}))
    if candidates:
        _, route, parameters = max(candidates, key=lambda candidate: candidate[0])
        return route, parameters
    default = next((route for route in routes if route.path == "$default"), None)
    return (default, {}) if default else None


def event_for(route: Route, parameters: dict[str, str], request: Request, api_id: str = "local") -> dict[str, Any]:
    """The event API Gateway sends the route's function."""
    text_body, encoded = _body(request.body)
    now = time.time()
    request_id = str(uuid.uuid4())
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    pairs = parse_qsl(request.query, keep_blank_values=True)
    if route.payload_version == "2.0":
        query: dict[str, str] = {}
        for key, value in pairs:
            query[key] = f"{query[key]},{value}" if key in query else value
        cookies = [part.strip() for part in headers.pop("cookie", "").split(";") if part.strip()]
        return {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.path,
            "rawQueryString": request.query,
            **({"cookies": cookies} if cookies else {}),
            "headers": headers,
            **({"queryStringParameters": query} if query else {}),
            **({"pathParameters": parameters} if parameters else {}),
            "requestContext": {
                "accountId": "123456789012",
                "apiId": api_id,
                "domainName": headers.get("host", "localhost"),
                "domainPrefix": headers.get("host", "localhost").split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": route.route_key,
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            **({"body": text_body} if request.body else {}),
            "isBase64Encoded": encoded,
        }
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {key: values[-1] for key, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "resourcePath": route.path,
            "httpMethod": request.method,
            "path": request.path,
            "stage": "Prod",
            "requestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": request.source_ip, "userAgent": headers.get("user-agent", "")},
        },
        "body": text_body if request.body else None,
        "isBase64Encoded": encoded,
    }


def _body(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


def _json(status: int, document: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(document).encode())


def response_for(route: Route, answer: bytes, function_error: str | None) -> Response:
    """The function's answer → API Gateway's response."""
    failed = _json(500 if route.payload_version == "2.0" else 502, {"message": "Internal Server Error"})
    if function_error:
        return failed
    try:
        result = json.loads(answer) if answer else None
    except json.JSONDecodeError:
        return failed
    if not (isinstance(result, dict) and "statusCode" in result):
        if route.payload_version != "2.0":
            return failed  # a REST API's Lambda proxy needs statusCode
        if isinstance(result, str):
            return Response(200, [("Content-Type", "application/json")], result.encode())
        return _json(200, result)
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(value)) for value in values]
    headers += [("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        body = json.dumps(body)
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    if route.payload_version == "2.0" and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return failed
    return Response(status, headers, raw)


def _header(request: Request, name: str) -> str | None:
    return next((value for key, value in request.headers if key.lower() == name), None)


def _allowed_origin(cors: Cors, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in cors.allow_origins:
        return origin if cors.allow_credentials else "*"
    return origin if origin in cors.allow_origins else None


def preflight(routes: list[Route], request: Request) -> Response | None:
    """API Gateway's own answer to a CORS preflight (OPTIONS with Access-Control-Request-Method) on a path whose API
    has a CORS configuration; None: the request goes to its route."""
    asked = _header(request, "access-control-request-method")
    if request.method != "OPTIONS" or asked is None:
        return None
    found = match(routes, asked.upper(), request.path)
    cors = found[0].cors if found else None
    if cors is None:
        return None
    headers = []
    origin = _allowed_origin(cors, _header(request, "origin"))
    if origin is not None and ("*" in cors.allow_methods or asked.upper() in cors.allow_methods):
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Allow-Methods", ",".join(cors.allow_methods)))
        requested = _header(request, "access-control-request-headers")
        allowed = (requested,) if "*" in cors.allow_headers and requested else cors.allow_headers
        if allowed:
            headers.append(("Access-Control-Allow-Headers", ",".join(allowed)))
        if cors.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if cors.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return Response(204, headers, b"")


def answer(routes: list[Route], invoke: Invoke, request: Request) -> Response:
    if (answered := preflight(routes, request)) is not None:
        return answered
    found = match(routes, request.method, request.path)
    if found is None:
        return _json(404, {"message": "Not Found"})
    route, parameters = found
    payload = json.dumps(event_for(route, parameters, request)).encode()
    result, error = invoke(route.function, payload)
    response = response_for(route, result, error)
    origin = _allowed_origin(route.cors, _header(request, "origin")) if route.cors else None
    if origin is None:
        return response
    extra = [("Access-Control-Allow-Origin", origin)]
    if route.cors.expose_headers:
        extra.append(("Access-Control-Expose-Headers", ",".join(route.cors.expose_headers)))
    if route.cors.allow_credentials:
        extra.append(("Access-Control-Allow-Credentials", "true"))
    present = {name.lower() for name, _ in response.headers}
    added = [header for header in extra if header[0].lower() not in present]
    return Response(response.status, response.headers + added, response.body)


class ApiServer:
    """The routes served on a listening socket, on threads, until ``stop()``."""

    def __init__(self, sock: socket.socket, routes: list[Route], invoke: Invoke) -> None:
        routes_, invoke_ = routes, invoke

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the headers and the body are two writes: see aws_endpoint._Handler

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parts.path or "/",
                    parts.query,
                    list(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                    self.client_address[0],
                )
                response = answer(routes_, invoke_, request)
                self.send_response(response.status)
                for name, value in response.headers:
                    if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
                pass

        self._server = ThreadingHTTPServer(sock.getsockname()[:2], Handler, bind_and_activate=False)
        self._server.socket.close()
        self._server.socket = sock
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="duoflow-up-api", daemon=True)

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
