"""The HTTP API (API Gateway HTTP API → this Lambda): apply for a loan, follow it, approve it.

    POST /apply              start the loan workflow for a valid application (400 names each broken rule)
    GET  /status/{id}        status, outcome and the progress log / audit trail
    GET  /approvals          approvals waiting for a manager
    POST /approve/{id}       a manager's decision: {"approved": true|false, "manager": "...", "comment": "..."}

Thin: parse, call one function, answer. Nothing is started unless the input is valid.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from domain.loan.models import ManagerDecision
from domain.loan.validation import ApplicationInvalid, FieldError, validate_application
from services.api import workflows
from services.api.auth import require_route_role
from services.api.reviews import router as reviews_router
from services.approvals.decisions import ApprovalNoLongerPending, NoPendingApproval, decide
from services.common.bootstrap import adapters

app = APIGatewayHttpResolver()
app.use(middlewares=[require_route_role])  # every route: the role services/api/routes.py gives it


def _json_body() -> Any:
    try:
        return json.loads(app.current_event.body or "")
    except json.JSONDecodeError:
        raise ApplicationInvalid([FieldError("body", "must be valid JSON")]) from None


@app.exception_handler(ApplicationInvalid)
def _invalid(error: ApplicationInvalid) -> Response:
    return Response(
        status_code=400,
        content_type="application/json",
        body=json.dumps({"message": "invalid request", "errors": error.as_json()}),
    )


@app.post("/apply")
def apply() -> tuple[dict[str, Any], int]:
    variant = app.current_event.get_query_string_value("variant", workflows.DEFAULT_VARIANT)
    if variant not in workflows.VARIANTS:
        raise ApplicationInvalid([FieldError("variant", f"must be one of {', '.join(workflows.VARIANTS)}")])
    application = validate_application(_json_body())
    try:
        started = workflows.start_loan(variant, application)
    except workflows.ApplicationAlreadySubmitted as error:
        return {"message": str(error), "application_id": application.application_id}, 409
    return {"application_id": application.application_id, "variant": variant, **started}, 202


@app.get("/status/<application_id>")
def status(application_id: str) -> dict[str, Any]:
    progress = adapters().progress
    current = progress.status(application_id)
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


@app.get("/approvals")
def pending_approvals() -> dict[str, Any]:
    approvals = adapters().progress.pending_approvals()
    return {
        "approvals": [
            {k: v for k, v in item.items() if k not in ("task_token", "callback_id", "entry", "pending_kind")}
            for item in approvals
        ]
    }


@app.post("/approve/<application_id>")
def approve(application_id: str) -> dict[str, Any] | tuple[dict[str, Any], int]:
    body = _json_body()
    if not isinstance(body, dict):
        raise ApplicationInvalid([FieldError("body", "must be a JSON object")])
    errors = []
    if not isinstance(body.get("approved"), bool):
        errors.append(FieldError("approved", "must be true or false"))
    if not isinstance(body.get("manager"), str) or not body["manager"].strip():
        errors.append(FieldError("manager", "must name the manager deciding"))
    if "comment" in body and not isinstance(body["comment"], str):
        errors.append(FieldError("comment", "must be text"))
    if errors:
        raise ApplicationInvalid(errors)
    decision = ManagerDecision(
        approved=body["approved"], manager=body["manager"].strip(), comment=body.get("comment", "").strip()
    )
    try:
        decide(application_id, decision)
    except NoPendingApproval as error:
        raise NotFoundError(str(error)) from None
    except ApprovalNoLongerPending as error:
        return {"message": str(error)}, 409
    return {"application_id": application_id, "approved": decision.approved}


app.include_router(reviews_router)  # GET /reviews, POST /reviews/{id}: HR's training reviews


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
