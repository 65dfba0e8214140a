"""The HTTP API (API Gateway HTTP API → this Lambda): apply for a loan, follow it, approve it.

    POST /apply              start the loan workflow for a valid application (400 names each broken rule)
    GET  /status/{id}        status, outcome and the progress log / audit trail ("starting" until the workflow
                             writes its first status)
    GET  /approvals          approvals waiting for a manager
    POST /approve/{id}       a manager's decision: {"approved": true|false, "manager": "...", "comment": "..."}
    GET  /openapi.json       this API's OpenAPI schema (services/api/openapi.py; bodies in services/api/models.py)

Thin: parse, call one function, answer. Nothing is started unless the input is valid (domain/validation.py
holds every rule, body limits included). One application, one workflow: the application id is bound to one
execution whatever variant is asked for (409 names the one that has it; the same application again gets its
workflow back, 200). An application sent without an id may carry an ``Idempotency-Key`` header: the same key
and body get the first answer again, the same key with another body 422 (Powertools' idempotency utility, on
the IDEMPOTENCY_TABLE). Anything unexpected is logged with the request id and answered 500 with that id.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from domain.loan.validation import validate_application, validate_manager_decision
from domain.validation import ID_PATTERN, ID_RULE, FieldError, InputInvalid, checked_id
from services.api import workflows
from services.api.auth import require_route_role, route_for
from services.api.bodies import json_body
from services.api.models import (
    ApplicationTaken,
    InvalidRequest,
    LoanApplicationBody,
    LoanStatus,
    LoanWorkflow,
    ManagerDecisionAnswer,
    ManagerDecisionBody,
    Message,
    PendingApprovals,
)
from services.api.openapi import NOT_FOUND, answer, documented, header, openapi_json, path_id, query
from services.api.reviews import router as reviews_router
from services.common.bootstrap import setting, wired
from services.common.log import logged, logger
from services.common.progress import STARTING
from services.common.variants import DEFAULT_VARIANT, VARIANTS, variant_error
from services.loan.manager_approval import ApprovalNoLongerPending, NoPendingApproval, answer_manager_approval

app = APIGatewayHttpResolver()
app.use(middlewares=[require_route_role])  # every route: the role services/api/routes.py gives it

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces
IDEMPOTENCY_HOURS = 24  # how long a key's first answer is kept


def _problem(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body))


@app.exception_handler(InputInvalid)
def _invalid(error: InputInvalid) -> Response:
    message = "request too large" if error.status == 413 else "invalid request"
    return _problem(error.status, {"message": message, "errors": error.as_json()})


@app.not_found
def _not_found(error: NotFoundError) -> Response:
    """404 — unless the path is a declared route whose id cannot be one (the resolver's routes take only URL-safe
    ids): then 400 naming the id, as for a bad id in a body."""
    event = app.current_event
    route = route_for(event.http_method, event.path)
    if route is not None and isinstance(error.msg, str) and error.msg == NotFoundError().msg:
        ids = re.findall(r"\{(\w+)\}", route.path)
        return _invalid(InputInvalid([FieldError(name, ID_RULE) for name in ids]))
    return _problem(404, {"statusCode": 404, "message": error.msg})


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response:
    if isinstance(error, ServiceError):  # NotFoundError and the like: Powertools answers them itself
        raise error
    request_id = app.current_event.request_context.request_id
    logger.error(
        "request %s: %s %s failed", request_id, app.current_event.http_method, app.current_event.path, exc_info=error
    )
    return _problem(500, {"message": "internal error; the server's log has the details", "request_id": request_id})


@app.post(
    "/apply",
    **documented(
        "POST",
        "/apply",
        {
            202: answer(LoanWorkflow, "The workflow started, named after the application id."),
            200: answer(LoanWorkflow, "This application was submitted before: its workflow."),
            409: answer(
                ApplicationTaken | Message,
                "The id belongs to another variant's workflow or another application; or a request with this "
                "Idempotency-Key is still being answered (retry in a moment).",
            ),
            422: answer(InvalidRequest, "This Idempotency-Key was used with another body or variant."),
        },
        body=LoanApplicationBody,
        parameters=[
            query(
                "variant",
                f"Which implementation runs the workflow: {', '.join(VARIANTS)}.",
                {"enum": list(VARIANTS), "default": DEFAULT_VARIANT, "type": "string"},
            ),
            header(
                "Idempotency-Key",
                f"For an application without an id: the same key and body get the first answer again, for "
                f"{IDEMPOTENCY_HOURS} hours.",
                {"type": "string", "pattern": f"^{IDEMPOTENCY_KEY.pattern}$"},
            ),
        ],
        description="Nothing starts unless the whole application is valid.",
    ),
)
def apply() -> tuple[dict[str, Any], int]:
    variant = app.current_event.get_query_string_value("variant", DEFAULT_VARIANT)
    if error := variant_error(variant):
        raise InputInvalid([error])
    logger.thread_safe_append_keys(variant=variant)  # the rest of this invocation's lines name it
    body = json_body(app.current_event)
    key = app.current_event.headers.get("idempotency-key")  # case-insensitive
    if key is None:
        answer = _start(variant, body)
    else:
        if not IDEMPOTENCY_KEY.fullmatch(key):
            raise InputInvalid([FieldError("Idempotency-Key", "must be 1-128 printable ASCII characters, no spaces")])
        validate_application(body)  # a bad body is refused, never remembered under the key
        try:
            answer = _start_once()(request={"key": key, "variant": variant, "body": body})
        except IdempotencyValidationError:
            return {
                "message": "this Idempotency-Key was used with another request; use a new key for a new one",
                "errors": [{"field": "Idempotency-Key", "rule": "must not be reused for another body or variant"}],
            }, 422
        except IdempotencyAlreadyInProgressError:
            return {"message": "a request with this Idempotency-Key is being answered; retry in a moment"}, 409
    return answer["body"], answer["status"]


def _start(variant: str, body: Any) -> dict[str, Any]:
    """{"status", "body"}: the answer to a valid application (202 started, 200 its existing workflow, 409)."""
    application = validate_application(body)
    try:
        workflow = workflows.start_loan(wired(), variant, application)
    except workflows.ApplicationAlreadySubmitted as taken:
        return {"status": 409, "body": {**taken.as_json(), "application_id": application.application_id}}
    answer = {"application_id": application.application_id, **workflow.as_json()}
    if not workflow.started_now:
        answer["message"] = "this application was submitted before; this is its workflow"
    return {"status": 202 if workflow.started_now else 200, "body": answer}


# Powertools' idempotency utility: an answer is kept under the key's hash, with the variant and body as the
# payload a repeat is checked against.
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="[variant, body]",
    expires_after_seconds=IDEMPOTENCY_HOURS * 3600,
)


@cache
def _start_once() -> Any:
    """``_start``, once per Idempotency-Key (the table is read from the environment on first use)."""
    persistence = DynamoDBPersistenceLayer(table_name=setting("IDEMPOTENCY_TABLE"))

    def start_once(request: dict[str, Any]) -> dict[str, Any]:
        return _start(request["variant"], request["body"])

    return idempotent_function(
        start_once, data_keyword_argument="request", persistence_store=persistence, config=IDEMPOTENCY
    )


@app.get(
    "/status/<application_id>",
    **documented("GET", "/status/<application_id>", {200: answer(LoanStatus, "The status."), 404: NOT_FOUND}),
)
def status(application_id: Annotated[str, path_id("application_id")]) -> dict[str, Any]:
    progress = wired().progress
    current = progress.status(checked_id(application_id, "application_id"))
    if current is None and progress.workflow(application_id) is not None:
        current = {"application_id": application_id, "status": STARTING}  # accepted; its workflow wrote nothing yet
    if current is None:
        raise NotFoundError(f"no loan application {application_id}")
    outcome = json.loads(current.pop("outcome_json", "null") or "null")
    return {
        **current,
        "offer": (outcome or {}).get("offer"),
        "disbursement_reference": (outcome or {}).get("disbursement_reference"),
        "awaiting_manager": progress.pending_approval(application_id) is not None,
        "log": progress.entries(application_id),
    }


@app.get("/approvals", **documented("GET", "/approvals", {200: answer(PendingApprovals, "Waiting for a manager.")}))
def pending_approvals() -> dict[str, Any]:
    approvals = wired().progress.pending_approvals()
    return {
        "approvals": [
            {k: v for k, v in item.items() if k not in ("task_token", "callback_id", "entry", "pending_kind")}
            for item in approvals
        ]
    }


@app.post(
    "/approve/<application_id>",
    **documented(
        "POST",
        "/approve/<application_id>",
        {
            200: answer(ManagerDecisionAnswer, "The decision resumed the waiting workflow."),
            404: NOT_FOUND,
            409: answer(Message, "The approval timed out: the workflow no longer waits for it."),
        },
        body=ManagerDecisionBody,
    ),
)
def approve(
    application_id: Annotated[str, path_id("application_id")],
) -> dict[str, Any] | tuple[dict[str, Any], int]:
    checked_id(application_id, "application_id")
    decision = validate_manager_decision(json_body(app.current_event))
    try:
        answer_manager_approval(wired(), application_id, decision)
    except NoPendingApproval as error:
        raise NotFoundError(str(error)) from None
    except ApprovalNoLongerPending as error:
        return {"message": str(error)}, 409
    return {"application_id": application_id, "approved": decision.approved}


app.include_router(reviews_router)  # GET /reviews, POST /reviews/{id}: HR's training reviews


@app.get("/openapi.json", include_in_schema=False)
def openapi():  # no return annotation: Powertools reads it into the schema, and a Response has no schema
    return Response(status_code=200, content_type="application/json", body=_openapi_json())


@cache
def _openapi_json() -> str:
    """Built once per container: the routes do not change after import."""
    return openapi_json(app)


_APPLICATION_ID_IN_BODY = re.compile(r'"application_id"\s*:\s*"([^"\\]{1,200})"')
MAX_CORRELATION_SCAN = 4096


def _correlation(event: dict[str, Any]) -> str | None:
    """The application or request a call is about: the id in its path, or the application id in its body."""
    path_id = re.fullmatch(r"/(?:status|approve|reviews)/([^/]+)", event.get("rawPath") or "")
    if path_id:
        return path_id.group(1)
    # Read, not parsed: the body has not been checked yet (its size, its nesting), and logging must never fail a call.
    in_body = _APPLICATION_ID_IN_BODY.search((event.get("body") or "")[:MAX_CORRELATION_SCAN])
    return in_body.group(1) if in_body and ID_PATTERN.fullmatch(in_body.group(1)) else None


@logged(_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    IDEMPOTENCY.register_lambda_context(context)  # an in-progress key expires with this invocation
    return app.resolve(event, context)
