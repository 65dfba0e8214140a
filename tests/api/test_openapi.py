"""The API's schema and reference page through the console server: ``GET /api/openapi.json`` (the API Lambda's
own, through the gateway, to anyone) and ``/api-docs`` (Swagger UI from the Powertools package); and the answers
the API really gives fit what the schema says: each status an operation answers is one it documents, and the body
fits that status's model (services/api/models.py; strict, no field it does not name)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain.training.models import Screening
from duoflow.api_client import http_api_event
from duoflow.console.guards import CONTENT_SECURITY_POLICY
from duoflow.scenarios import loan_cases, training_cases
from services.api import models
from services.api.handler import handler
from services.common import bootstrap
from tests.waiting import wait_until

ALICE, BOB = (case.application for case in loan_cases(["alice", "bob"]))


@pytest.fixture(scope="module")
def schema(client) -> dict[str, Any]:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200, served.text
    return served.json()


def fits(schema: dict[str, Any], method: str, path: str, response) -> BaseModel:
    """The answer as the model its operation documents for its status; fails if the status is undocumented or
    the body does not fit."""
    documented = schema["paths"][path][method.lower()]["responses"]
    assert str(response.status_code) in documented, f"{method} {path} answered {response.status_code}: undocumented"
    body_schema = documented[str(response.status_code)]["content"]["application/json"]["schema"]
    names = [ref["$ref"].rsplit("/", 1)[1] for ref in body_schema.get("anyOf", [body_schema])]
    failures = []
    for name in names:
        try:
            return getattr(models, name).model_validate_json(response.text, strict=True)
        except ValidationError as error:
            failures.append(str(error))
    pytest.fail(f"{method} {path} {response.status_code}: {response.text} fits none of {names}: {failures}")


def test_the_schema_is_served_through_the_console_to_anyone(client, schema):
    served = client.get("/api/openapi.json")
    assert served.headers["content-type"].startswith("application/json")
    assert served.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    built = json.loads(handler(http_api_event("GET", "/openapi.json"), None)["body"])
    assert schema == built  # the Lambda's own, unchanged by the gateway
    assert schema["openapi"].startswith("3.1") and schema["servers"] == [
        {"url": ".", "description": "this API, where this document is served from"}
    ]
    assert {"/apply", "/status/{application_id}", "/approve/{application_id}", "/reviews"} <= set(schema["paths"])


def test_the_reference_page_and_its_swagger_ui_files_are_served_from_this_server(client):
    page = client.get("/api-docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for src in ('src="/swagger-ui/swagger-ui-bundle.min.js"', 'href="/swagger-ui/swagger-ui.min.css"'):
        assert src in page.text
    assert "<script>" not in page.text and "<style>" not in page.text  # the policy allows neither
    script = client.get("/swagger-ui/swagger-ui-bundle.min.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    style = client.get("/swagger-ui/swagger-ui.min.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert client.get("/swagger-ui/html.py").status_code == 404  # only the two files, not the package's folder
    assert "/api/openapi.json" in client.get("/static/api-docs.js").text


def test_a_loans_answers_fit_the_schema(client, schema, as_manager, as_hr):
    alice = f"oas-{uuid.uuid4().hex[:8]}"
    started = client.post("/api/apply?variant=durable", json={**ALICE, "application_id": alice})
    assert started.status_code == 202 and fits(schema, "POST", "/apply", started).durable_execution_arn
    again = client.post("/api/apply?variant=durable", json={**ALICE, "application_id": alice})
    assert again.status_code == 200 and fits(schema, "POST", "/apply", again).message
    taken = client.post("/api/apply?variant=sfn", json={**ALICE, "application_id": alice})
    assert taken.status_code == 409 and isinstance(fits(schema, "POST", "/apply", taken), models.ApplicationTaken)
    hybrid = client.post("/api/apply", json=BOB)
    assert hybrid.status_code == 202 and fits(schema, "POST", "/apply", hybrid).execution_arn
    for bad in ({}, {**ALICE, "loan_amount": -1}, [1]):
        fits(schema, "POST", "/apply", client.post("/api/apply", json=bad))
    fits(schema, "POST", "/apply", client.post("/api/apply?variant=quantum", json=ALICE))

    status = "/status/{application_id}"
    pending = wait_until(
        lambda: [
            a
            for a in client.get("/api/approvals", headers=as_manager).json()["approvals"]
            if a["application_id"] == alice
        ],
        what="Alice to wait for a manager",
    )
    assert pending
    fits(schema, "GET", "/approvals", client.get("/api/approvals", headers=as_manager))
    waiting = fits(schema, "GET", status, client.get(f"/api/status/{alice}"))
    assert waiting.awaiting_manager and waiting.log
    fits(schema, "GET", status, client.get("/api/status/nobody-here"))
    fits(schema, "GET", status, client.get("/api/status/a%20b"))
    for refused in (client.get("/api/approvals"), client.get("/api/approvals", headers=as_hr)):
        assert refused.status_code in (401, 403) and fits(schema, "GET", "/approvals", refused)

    approve = "/approve/{application_id}"
    fits(schema, "POST", approve, client.post(f"/api/approve/{alice}", headers=as_manager, json={"approved": "yes"}))
    fits(
        schema,
        "POST",
        approve,
        client.post("/api/approve/nobody", headers=as_manager, json={"approved": True, "manager": "D"}),
    )
    decided = client.post(f"/api/approve/{alice}", headers=as_manager, json={"approved": True, "manager": "Dana Lee"})
    assert decided.status_code == 200 and fits(schema, "POST", approve, decided).approved is True
    ended = wait_until(
        lambda: (answer := client.get(f"/api/status/{alice}")).json()["status"] == "approved" and answer,
        what="Alice's loan to be approved",
    )
    assert fits(schema, "GET", status, ended).offer is not None
    denied = hybrid.json()["application_id"]
    bob = wait_until(
        lambda: (answer := client.get(f"/api/status/{denied}")).json()["status"] == "denied" and answer,
        what="Bob's loan to be denied",
    )
    assert fits(schema, "GET", status, bob).outcome == "denied"


class ReviewBandScorer:
    """Puts every request in the HR band: this test is about the review's answers, not the model's scores."""

    def score(self, request):
        return Screening(score=62, rationale="Useful, but partly outside the role.", model_id="double")


def test_an_hr_reviews_answers_fit_the_schema(client, schema, runtime, as_hr, monkeypatch):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    monkeypatch.setattr(bootstrap, "_bedrock_scorer", lambda: ReviewBandScorer())
    request_id = f"oas-{uuid.uuid4().hex[:8]}"
    document = training_cases(["marketing-specialist"])[0].request
    uploaded = client.post("/console/api/training/requests", json={"request": document, "request_id": request_id})
    assert uploaded.status_code == 202, uploaded.text
    wait_until(
        lambda: any(r["request_id"] == request_id for r in client.get("/api/reviews", headers=as_hr).json()["reviews"]),
        timeout=60,
        what="the request to wait for HR",
    )
    listed = fits(schema, "GET", "/reviews", client.get("/api/reviews", headers=as_hr))
    assert any(review.score == 62 for review in listed.reviews)
    review = "/reviews/{request_id}"
    fits(schema, "POST", review, client.post(f"/api/reviews/{request_id}", headers=as_hr, json={"decision": "maybe"}))
    fits(
        schema,
        "POST",
        review,
        client.post("/api/reviews/nobody", headers=as_hr, json={"decision": "approve", "reviewer": "P"}),
    )
    decided = client.post(
        f"/api/reviews/{request_id}", headers=as_hr, json={"decision": "approve", "reviewer": "Priya Shah"}
    )
    assert decided.status_code == 200 and fits(schema, "POST", review, decided).decision == "approve"
