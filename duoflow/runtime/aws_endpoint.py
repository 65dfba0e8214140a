"""The runtime's AWS APIs over HTTP, at one endpoint URL: the AWS CLI, boto3 in another process and other SDKs work
against it with ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` and dummy credentials.

    url = runtime.serve_aws()              # http://127.0.0.1:PORT; runtime.stop() stops it
    AWS_ENDPOINT_URL=$url aws stepfunctions list-state-machines

Every request takes the path a boto3 call made inside the runtime's process takes: moto's interception
(``moto.core.botocore_stubber.BotocoreStubber.process_request``), with the runtime's patches in place — the
catalog's handlers behind Lambda invoke, the durable APIs (``durable_api.py``), the journal keepers. Only the host
differs: a request to this endpoint names its service and region in its SigV4 signature (the credential scope,
``.../us-east-1/states/aws4_request``, or ``X-Amz-Credential`` in a presigned URL), and is handed to moto as a
request to that service's AWS host (``https://states.us-east-1.amazonaws.com/...``; S3 path-style). Signatures
are not checked and the access key only picks moto's account (any dummy key: the runtime's account).

Why not moto's own server (``moto.server``, ``ThreadedMotoServer``): it needs Flask and flask-cors (``moto[server]``,
not installed), routes through per-service Flask apps built from the URL maps at their first request (a second code
path beside the one every in-process call takes), and cannot register the durable APIs' handler (a plain
function named ``dispatch``: its app factory expects a bound method of a response class there).

A 2xx answer to a request that changes something (POST, PUT, PATCH, DELETE) is sent after
``runtime.journal.barrier()``, as the console's are: a crash a moment after the client saw it cannot undo it.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A request still being answered when the endpoint stops gets this long (real seconds) to finish.
STOP_SECONDS = 5.0
# An idle keep-alive connection is closed after this long (the SDKs reconnect).
IDLE_SECONDS = 30.0
SERVER_THREAD, REQUEST_THREAD = "duoflow-aws-endpoint", "duoflow-aws-request"
_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host", "expect"})


def service_and_region(headers: Any, query: str) -> tuple[str, str] | None:
    """The (signing name, region) a SigV4-signed request names: from its ``Authorization`` header, or from
    ``X-Amz-Credential`` in a presigned URL's query. None: not signed with SigV4."""
    credential = None
    if match := _CREDENTIAL.search(headers.get("Authorization") or ""):
        credential = match.group(1)
    elif values := parse_qs(query).get("X-Amz-Credential"):
        credential = values[0]
    if credential is None:
        return None
    parts = credential.split("/")  # access key / date / region / service / aws4_request
    if len(parts) != 5:
        return None
    return parts[3].lower(), parts[2]


def aws_host(service: str, region: str, path: str, headers: Any) -> str:
    """The AWS host moto matches a ``service`` request on (the host an SDK would have called in ``region``)."""
    if service == "s3":
        return f"s3.{region}.amazonaws.com"  # path-style: /bucket/key
    if service == "bedrock" and path.startswith("/model/"):
        return f"bedrock-runtime.{region}.amazonaws.com"  # Converse and InvokeModel sign as "bedrock"
    if service == "dynamodb" and (headers.get("X-Amz-Target") or "").startswith("DynamoDBStreams"):
        return f"streams.dynamodb.{region}.amazonaws.com"
    return f"{service}.{region}.amazonaws.com"


class _Server(ThreadingHTTPServer):
    def __init__(self, sock: socket.socket, handler: type[BaseHTTPRequestHandler], endpoint: AwsEndpoint) -> None:
        super().__init__(sock.getsockname()[:2], handler, bind_and_activate=False)
        self.socket.close()  # the one socketserver made: serve on the socket given instead
        self.socket = sock
        self.server_address = sock.getsockname()[:2]
        self.endpoint = endpoint

    def process_request(self, request: Any, client_address: Any) -> None:
        """A thread per connection, named, so a test can tell the endpoint's threads apart."""
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), name=REQUEST_THREAD, daemon=True
        )
        thread.start()


class AwsEndpoint:
    """Serves the running moto interception over HTTP on ``sock`` (a listening socket), on a thread.

    ``answer(method, url, headers, body)`` gives (status, headers, body) or None (no service matches);
    ``barrier()`` is called before a 2xx answer to a changing request is sent."""

    def __init__(
        self,
        sock: socket.socket,
        answer: Callable[[str, str, dict[str, str], bytes], tuple[int, dict, Any] | None],
        barrier: Callable[[], None],
    ) -> None:
        self._answer = answer
        self._barrier = barrier
        self._server = _Server(sock, _Handler, self)
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, bool] = {}  # each open connection: is a request being answered on it
        self._threads: set[threading.Thread] = set()
        self._changed = threading.Condition()
        self._stopping = False
        host, port = sock.getsockname()[:2]
        self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> AwsEndpoint:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name=SERVER_THREAD, daemon=True
        )
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, let the requests being answered finish (``STOP_SECONDS`` at most), close every
        connection and the socket. When this returns, every thread the endpoint started has ended, unless a
        request was still being answered at the deadline (its connection is closed under it; the thread ends when
        the runtime's answer does)."""
        if self._thread is None:
            return
        self._server.shutdown()  # the accept loop ends
        self._thread.join()
        self._thread = None
        deadline = time.monotonic() + STOP_SECONDS
        with self._changed:
            self._stopping = True
            while True:
                for connection, answering in self._connections.items():
                    if not answering:
                        _shut(connection)  # an idle keep-alive connection: its thread ends at once
                left = deadline - time.monotonic()
                if not self._connections or left <= 0:
                    break
                self._changed.wait(left)
            for connection in self._connections:
                _shut(connection)
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + 1.0)
        self._server.server_close()

    # --- called on the request threads ---------------------------------------------------------------------

    def _opened(self, connection: socket.socket) -> None:
        with self._changed:
            self._connections[connection] = False
            self._threads.add(threading.current_thread())
            if self._stopping:
                _shut(connection)

    def _answering(self, connection: socket.socket, answering: bool) -> bool:
        """Mark the connection busy or idle; False when the endpoint is stopping (close the connection)."""
        with self._changed:
            if connection in self._connections:
                self._connections[connection] = answering
            self._changed.notify_all()
            return not self._stopping

    def _closed(self, connection: socket.socket) -> None:
        with self._changed:
            self._connections.pop(connection, None)
            self._threads.discard(threading.current_thread())
            self._changed.notify_all()

    def respond(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = parts.path or "/"
        named = service_and_region(headers, parts.query)
        if named is None:
            return _error(
                400,
                "MissingAuthenticationToken",
                "sign the request with SigV4 (any access key: the AWS CLI and SDKs do with dummy credentials)",
            )
        service, region = named
        host = aws_host(service, region, path, headers)
        url = f"https://{host}{path}" + (f"?{parts.query}" if parts.query else "")
        forwarded = {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}
        forwarded["Host"] = host
        try:
            answered = self._answer(method, url, forwarded, body)
        except Exception as error:  # what an in-process caller would have seen raised; no stack trace goes out
            request_id = str(uuid.uuid4())
            log.exception("AWS endpoint: %s %s (%s) failed; request id %s", method, path, service, request_id)
            return _error(500, "InternalFailure", f"{type(error).__name__}: {error} (request id {request_id})")
        if answered is None:
            return _error(404, "UnknownOperationException", f"the local runtime does not serve {service} {path}")
        status, response_headers, response_body = answered
        status = int(status)
        if response_body is None:
            response_body = b""
        elif isinstance(response_body, str):
            response_body = response_body.encode("utf-8")
        if method in CHANGING_METHODS and 200 <= status < 300:
            self._barrier()
        return status, {str(k): str(v) for k, v in (response_headers or {}).items()}, bytes(response_body)


def _shut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    import json

    body = json.dumps({"__type": code, "message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}, body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs reuse their connections
    # An answer is two writes (the headers, then the body). With Nagle's algorithm on, the body waits for the
    # client to acknowledge the headers, which a keep-alive client delays by up to 40 ms: every call took ~45 ms
    # of wall for under 2 ms of CPU. TCP_NODELAY sends each write at once.
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.endpoint._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.endpoint._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # no access log (the console keeps none either)
        pass

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        endpoint = self.server.endpoint
        endpoint._answering(self.connection, True)
        try:
            body = self._read_body()
            status, headers, payload = endpoint.respond(self.command, self.path, self.headers, body)
            self._send(status, headers, payload)
        finally:
            if not endpoint._answering(self.connection, False):
                self.close_connection = True

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        if self.command == "HEAD":
            length = next((v for k, v in headers.items() if k.lower() == "content-length"), str(len(payload)))
            self.send_header("Content-Length", length)
            self.end_headers()
        else:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle
