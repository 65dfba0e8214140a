"""What the console server refuses before any endpoint runs, and the headers every answer carries.

* ``HostGuard``: only ``Host`` values naming the address the server listens on are served — ``127.0.0.1:PORT``,
  ``localhost:PORT``, ``[::1]:PORT`` and the bound address itself, PORT being the port the request came in on —
  so a page on another domain that re-points its DNS name to 127.0.0.1 (DNS rebinding) gets 421, not the data.
* ``SameOriginJson``: a request that changes state (POST, PUT, PATCH, DELETE) is refused 403 if the browser
  says it comes from another site (``Sec-Fetch-Site``) or names another ``Origin``, and 415 if it carries a
  body that is not ``application/json``: an HTML form or a "simple" cross-site ``fetch`` cannot send JSON.
* ``SecurityHeaders``: a tight Content-Security-Policy (scripts and styles from the server's own files only; the
  execution graph's one ``<style>`` allowed by its hash), ``X-Frame-Options: DENY``, ``nosniff`` and
  ``Referrer-Policy: no-referrer`` (sign-in links carry the token in the URL fragment).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duoflow.diagrams.svg import STYLE as DIAGRAM_STYLE

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
REFUSED_FETCH_SITES = frozenset({"cross-site", "same-site"})


def _style_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {_style_hash(DIAGRAM_STYLE)}",  # the <style> inside the execution graph's SVG
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def host_with_port(value: str, scheme: str = "http") -> str:
    """A Host value (``name``, ``name:port``, ``[v6]``, ``[v6]:port``) lowercased, with the scheme's default port
    when it has none, so ``localhost`` and ``localhost:80`` compare equal."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        has_port = end != -1 and value[end + 1 : end + 2] == ":"
    else:
        has_port = ":" in value
    return value if has_port else f"{value}:{DEFAULT_PORTS.get(scheme, 80)}"


def address_host(host: str, port: int) -> str:
    """The Host value that names ``host`` (an IP address or a name) on ``port``."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{name.lower()}:{port}"


def listening_hosts(server: tuple[str, int] | None, listen_host: str | None = None) -> frozenset[str]:
    """The Host values a browser uses for the address a request came in on: the loopback names and the
    address itself (and the host the server was told to listen on: 0.0.0.0 is reached as 127.0.0.1)."""
    if not server or server[1] is None:
        return frozenset()
    host, port = server[0], server[1]
    names = {*LOOPBACK_NAMES, host, *([listen_host] if listen_host else [])}
    return frozenset(address_host(name, port) for name in names)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str, field: str, rule: str) -> None:
    """The project's refusal shape: a message, and the field (here a header) with the rule it broke."""
    body = {"message": message, "errors": [{"field": field, "rule": rule}]}
    await JSONResponse(body, status_code=status)(scope, receive, send)


class HostGuard:
    def __init__(self, app: ASGIApp, allowed_hosts: Collection[str] | None = None, listen_host: str | None = None):
        """``allowed_hosts``: the Host values served instead of those of the address the server listens on
        (tests, whose client calls itself "testserver"); ``listen_host``: the host the server was bound to."""
        self.app = app
        self.allowed = frozenset(host_with_port(host) for host in allowed_hosts) if allowed_hosts else None
        self.listen_host = listen_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        allowed = self.allowed
        if allowed is None:
            server = scope.get("server")
            allowed = listening_hosts(tuple(server) if server else None, self.listen_host)
        host = Headers(scope=scope).get("host")
        if not host:
            await _refuse(scope, receive, send, 400, "the request has no Host header", "host", "is required")
            return
        if host_with_port(host, scope.get("scheme", "http")) not in allowed:
            served = ", ".join(sorted(allowed)) or "none"
            await _refuse(
                scope,
                receive,
                send,
                421,
                f"this server answers only for its own address ({served}), not for Host {host!r}: "
                "open the console with the address `duoflow serve` printed (DNS-rebinding protection)",
                "host",
                "must name this server's own address",
            )
            return
        await self.app(scope, receive, send)


class SameOriginJson:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        what = f"{scope['method']} {scope['path']}"
        site = headers.get("sec-fetch-site", "").strip().lower()
        if site in REFUSED_FETCH_SITES:
            message = (
                f"{what}: a request that changes state must come from this console's own pages (Sec-Fetch-Site: {site})"
            )
            await _refuse(scope, receive, send, 403, message, "sec-fetch-site", "must not be cross-site or same-site")
            return
        origin = headers.get("origin")
        scheme = scope.get("scheme", "http")
        own = f"{scheme}://{host_with_port(headers.get('host', ''), scheme)}"
        if origin is not None and _origin_with_port(origin) != own:
            message = f"{what}: a request that changes state must come from this console's own origin, not {origin!r}"
            await _refuse(scope, receive, send, 403, message, "origin", "must be this console's own origin")
            return
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if _has_body(headers) and media_type != "application/json":
            sent = f"it was sent as {media_type}" if media_type else "it was sent without a Content-Type"
            message = f"{what}: a request that changes state must send its body as JSON (Content-Type: application/json); {sent}"
            await _refuse(scope, receive, send, 415, message, "content-type", "must be application/json")
            return
        await self.app(scope, receive, send)


def _origin_with_port(origin: str) -> str:
    scheme, separator, rest = origin.strip().lower().partition("://")
    return f"{scheme}://{host_with_port(rest, scheme)}" if separator and rest else origin


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or length != "0"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
