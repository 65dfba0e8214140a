"""Who may call a route: the caller's groups against the route's role in ``services/api/routes.py``.

One code path for AWS and local: API Gateway's JWT authorizer (Cognito) and the console server's local
authorizer both put the verified token's claims in ``requestContext.authorizer.jwt.claims``. The handler checks
them again on every request (defence in depth), so a route mis-wired in API Gateway is still refused here.

    401  the route needs a role and the request carries no claims at all (no token)
    403  the claims do not include the route's role
    500  the handler serves a route the route table does not declare (fail closed: a new route must say who may
         call it)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from services.api.routes import ROLE_CLAIM, ROUTES, Route


def claims_of(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The verified token's claims, or None when the request carries none."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
    return dict(claims) if claims else None


def groups_of(claims: Mapping[str, Any] | None) -> frozenset[str]:
    """The caller's groups. Cognito's claim reaches the handler as a list, or — through API Gateway's JWT
    authorizer, which flattens arrays — as a string such as ``"[managers hr]"``; a JSON array string or a
    comma-separated one are accepted too."""
    value = (claims or {}).get(ROLE_CLAIM)
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, list):
                value = parsed
            else:
                value = re.split(r"[\s,]+", text[1:-1])
        else:
            value = re.split(r"[\s,]+", text)
    if not isinstance(value, list | tuple | set | frozenset):
        return frozenset()
    return frozenset(str(group).strip().strip("\"'") for group in value if str(group).strip().strip("\"'"))


@cache
def _patterns() -> tuple[tuple[Route, re.Pattern[str]], ...]:
    return tuple(
        (route, re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(route.path)) + "/?$")) for route in ROUTES
    )


def route_for(method: str, path: str) -> Route | None:
    """The declared route a request reaches (API Gateway's ``{parameter}`` syntax), or None."""
    for route, pattern in _patterns():
        if route.method == method.upper() and pattern.match(path):
            return route
    return None


def refusal(event: Mapping[str, Any], served: bool = True) -> tuple[int, str] | None:
    """Why this request may not go on — (status, message) — or None when it may. ``served``: the handler has a
    route for it (False: let the resolver answer 404)."""
    method = (event.get("requestContext") or {}).get("http", {}).get("method") or event.get("httpMethod") or ""
    path = event.get("rawPath") or event.get("path") or ""
    route = route_for(method, path)
    if route is None:
        if not served:
            return None
        return 500, f"{method} {path} is not declared in the route table (services/api/routes.py)"
    if route.role is None:
        return None
    claims = claims_of(event)
    if claims is None:
        return 401, f"sign in: {method} {route.path} needs a token with the {route.role} role"
    groups = groups_of(claims)
    if route.role not in groups:
        acting = ", ".join(sorted(groups)) or "no role"
        return 403, f"{method} {route.path} needs the {route.role} role; your token has {acting}"
    return None


def require_route_role(app: Any, next_middleware: NextMiddleware) -> Response:
    """Powertools middleware for every route of the resolver (``app.use``)."""
    event = app.current_event
    served = any(
        route.method == event.http_method.upper() and route.rule.match(event.path)
        for route in app._static_routes + app._dynamic_routes
    )
    refused = refusal(event.raw_event, served)
    if refused:
        status, message = refused
        return Response(status_code=status, content_type="application/json", body=json.dumps({"message": message}))
    return next_middleware(app)
