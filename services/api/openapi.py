"""The HTTP API documented by its own code: ``GET /openapi.json`` is the schema Powertools builds from the
resolver's routes, with the request and response bodies of services/api/models.py.

Why Powertools' request validation stays off. With ``enable_validation=True`` the resolver would parse each body
into its model before the route runs and answer a mismatch with its own 422 (``{"detail": [...]}``), before our
role check (its validation middleware runs first), with pydantic's wording instead of the rules of ``domain/``.
Re-answering its ``RequestValidationError`` through the domain rules would keep the 400 bodies only if the models
refused nothing the rules accept (text is trimmed before it is measured, amounts are checked as written): two
rule sets kept in step by hand. So the rules stay the one validation, and the models only describe them.

How the schema gets the bodies without validation, all through a route decorator's own arguments:

* the answers: ``responses={status: {"description", "content": {"application/json": {"model": Model}}}}``,
  Powertools' documented way; the models become ``components/schemas``;
* path ids: the handler's parameter annotated ``Path(pattern=..., description=...)`` (Powertools fills the
  parameter from the path with or without validation);
* the request body, and the query and header parameters the handler reads itself (``?variant=``,
  ``Idempotency-Key``): ``openapi_extensions={"requestBody": ..., "parameters": [...]}``. Powertools documents a
  body only through a handler parameter it fills itself (``Body()``, which needs validation on), and merges
  a route's ``openapi_extensions`` into the operation object as they are; this relies on that merge, and
  tests/unit/test_openapi_powertools.py fails if it changes;
* the summary and whether a token is needed: from the route table (services/api/routes.py), like the role
  check and API Gateway's routes.

Powertools also adds the shapes of its own validation errors to every schema (``HTTPValidationError`` and the
like); with validation off this API never answers them, so components no operation refers to are left out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from domain.validation import ID_RULE, MAX_BODY_BYTES
from services.api.models import (
    BODY_RULES,
    ID_SCHEMA_PATTERN,
    InternalError,
    InvalidRequest,
    Message,
    NotFound,
)
from services.api.routes import ROUTES, Route

TITLE = "duoflow HTTP API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Apply for a loan and follow it; managers decide the loans that need them, HR the training requests the "
    "screening model could not decide. A route with a role needs a token whose `cognito:groups` has it "
    "(`duoflow serve` prints one per role). Bad input is answered 400 with every field and rule it breaks."
)
TOKEN = "role-token"  # the security scheme: a JWT bearer token (Cognito in AWS, `duoflow serve`'s locally)
JSON = "application/json"
# The resolver's spelling of a path parameter, <name>; the route table's is {name}.
_RESOLVER_PARAMETER = re.compile(r"<(\w+)>")


def route_in_table(method: str, resolver_path: str) -> Route:
    """The route table's entry for a route the resolver serves (``/approve/<application_id>``)."""
    path = _RESOLVER_PARAMETER.sub(r"{\1}", resolver_path)
    for route in ROUTES:
        if (route.method, route.path) == (method, path):
            return route
    raise LookupError(f"{method} {path} is not in the route table (services/api/routes.py)")


def answer(model: Any, description: str) -> dict[str, Any]:
    """One entry of a route's ``responses``: the status's description and the body's model (or a union)."""
    return {"description": description, "content": {JSON: {"model": model}}}


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def header(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "description": description, "schema": schema}


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """An operation's ``requestBody``: a JSON object described by ``model`` (flat, so its schema stands alone)."""
    schema = model.model_json_schema()
    if "$defs" in schema:
        raise ValueError(f"{model.__name__}: a request body model must not nest other models")
    return {"required": True, "description": BODY_RULES, "content": {JSON: {"schema": schema}}}


def path_id(name: str) -> Any:
    """The annotation's metadata for an id in the path: ``Annotated[str, path_id("application_id")]``."""
    from aws_lambda_powertools.event_handler.openapi.params import Path

    return Path(pattern=ID_SCHEMA_PATTERN, description=f"The {name.replace('_', ' ')}: {ID_RULE}.")


def documented(
    method: str,
    resolver_path: str,
    answers: dict[int, dict[str, Any]],
    *,
    body: type[BaseModel] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    description: str = "",
    tag: str = "loan",
) -> dict[str, Any]:
    """A route decorator's OpenAPI arguments: ``@app.post(path, **documented("POST", path, {...}, body=...))``.

    ``answers``: the route's own statuses (``answer(Model, "...")``); the ones every route may give are added:
    400 for a malformed id in the path or a bad body, 413 for a body over 64 KiB, 401 and 403 for a route with
    a role, 500. ``parameters``: query and header parameters the handler reads itself (not on a route with ids
    in its path: Powertools writes those over them). ``tag``: the scenario, which groups routes on the page."""
    route = route_in_table(method, resolver_path)
    has_ids = bool(_RESOLVER_PARAMETER.search(resolver_path))
    if parameters and has_ids:
        raise ValueError(f"{method} {resolver_path}: Powertools replaces these parameters with the path's")
    responses = dict(answers)
    if body is not None or has_ids:
        responses.setdefault(400, answer(InvalidRequest, "Invalid request: every field and rule it breaks."))
    if body is not None:
        responses.setdefault(413, answer(InvalidRequest, f"The body is over {MAX_BODY_BYTES:,} bytes."))
    if route.role:
        responses.setdefault(401, answer(Message, "No token: sign in."))
        responses.setdefault(403, answer(Message, f"The token does not have the {route.role} role."))
    responses.setdefault(500, answer(InternalError, "Unexpected; the server's log has the request id."))
    extensions: dict[str, Any] = {}
    if body is not None:
        extensions["requestBody"] = request_body(body)
    if parameters:
        extensions["parameters"] = parameters
    who = f"Needs a token with the `{route.role}` role." if route.role else "Open to anyone."
    return {
        "summary": route.summary,
        "tags": [tag],
        "description": f"{description} {who}".strip(),
        "responses": dict(sorted(responses.items())),
        "security": [{TOKEN: []}] if route.role else None,
        "openapi_extensions": extensions or None,
    }


NOT_FOUND = answer(NotFound, "Nothing by that id.")


def openapi_json(app: Any) -> str:
    """The resolver's OpenAPI schema as JSON, without the components no operation refers to."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    schema = app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        # Relative to where this document is served: "/" behind API Gateway, "/api" behind `duoflow serve`.
        servers=[Server(url=".", description="this API, where this document is served from")],
        security_schemes={TOKEN: HTTPBearer(bearerFormat="JWT", description="a role's token (cognito:groups)")},
    )
    document = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    paths = document["paths"]  # in the route table's order (Powertools puts routes with ids first)
    document["paths"] = {path: paths[path] for path in dict.fromkeys(route.path for route in ROUTES) if path in paths}
    schemas = document.get("components", {}).get("schemas", {})
    used = _referenced(document["paths"], schemas)
    document["components"]["schemas"] = {name: value for name, value in schemas.items() if name in used}
    return json.dumps(document, indent=2)


def _referenced(value: Any, schemas: dict[str, Any]) -> set[str]:
    """The component schemas ``value`` refers to, and those they refer to."""
    found: set[str] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(schemas.get(name))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
