"""The OpenAPI schema (GET /openapi.json, services/api/openapi.py) names every field the validation rules check,
and no field they do not: the fields come from the rules themselves, not from the schema.

* Body fields: each route's rule (domain/*/validation.py) is handed a body that has every field, each wrong
  (``EveryFieldWrong``), so it names every field it checks, optional ones included; they must be the properties
  of the route's request body, and the fields an empty body is refused for must be its ``required`` list.
* Everything else a 400 can name — the whole ``body``, a path id, ``?variant=``, ``Idempotency-Key`` — is sent
  through the API handler, and must be a parameter of the operation or, for ``body``, its request body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain.loan.validation import MAX_ANNUAL_INCOME, MAX_LOAN_AMOUNT, validate_application, validate_manager_decision
from domain.training.validation import validate_hr_review
from domain.validation import MAX_COMMENT_LENGTH, MAX_NAME_LENGTH, InputInvalid
from duoflow.api_client import http_api_event, role_claims
from duoflow.scenarios import loan_cases, training_cases
from services.api.handler import handler
from services.api.models import EXAMPLES, HrReviewBody, LoanApplicationBody, ManagerDecisionBody
from services.api.routes import HR_ROLE, MANAGER_ROLE, ROUTES

MANAGER = role_claims(MANAGER_ROLE, "dana")
HR = role_claims(HR_ROLE, "priya")

# route → the rule its handler reads the body with, and the claims that let a request reach it
BODY_RULES: dict[tuple[str, str], tuple[Callable[[Any], Any], dict[str, Any] | None]] = {
    ("POST", "/apply"): (validate_application, None),
    ("POST", "/approve/{application_id}"): (validate_manager_decision, MANAGER),
    ("POST", "/reviews/{request_id}"): (validate_hr_review, HR),
}


class EveryFieldWrong(Mapping[str, Any]):
    """A body that has every field a rule may ask for, each holding a value no rule accepts; it lists no keys, so
    no field is refused as unknown."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> Any:
        return object()

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def fields_named(rule: Callable[[Any], Any], body: Any) -> list[str]:
    with pytest.raises(InputInvalid) as refused:
        rule(body)
    return [error.field for error in refused.value.errors]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    response = handler(http_api_event("GET", "/openapi.json"), None)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return schema["paths"][path][method.lower()]


def body_schema(schema: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return operation(schema, method, path)["requestBody"]["content"]["application/json"]["schema"]


def sent(method: str, path: str, body: Any = None, claims: dict | None = None, **options: Any) -> list[str]:
    """The fields a 400 from the API handler names."""
    response = handler(http_api_event(method, path, body, claims=claims, **options), None)
    assert response["statusCode"] == 400, response
    return [error["field"] for error in json.loads(response["body"])["errors"]]


def test_the_rules_name_the_fields_the_schema_has(schema):
    for (method, path), (rule, _) in BODY_RULES.items():
        checked = fields_named(rule, EveryFieldWrong())
        assert len(checked) == len(set(checked)) >= 3, (path, checked)
        properties = body_schema(schema, method, path)["properties"]
        assert set(checked) == set(properties), (
            f"{method} {path}: the rules check {checked}, the schema {sorted(properties)}"
        )


def test_the_fields_an_empty_body_lacks_are_the_schemas_required_fields(schema):
    for (method, path), (rule, claims) in BODY_RULES.items():
        concrete = path.replace("{application_id}", "alice-1").replace("{request_id}", "req-1")
        lacking = sent(method, concrete, "{}", claims)
        assert lacking == fields_named(rule, {})  # the handler reads the body with this rule
        assert set(lacking) == set(body_schema(schema, method, path)["required"]), path


def test_unknown_fields_are_refused_and_the_schema_says_so(schema):
    for (method, path), (rule, _) in BODY_RULES.items():
        assert "surprise" in fields_named(rule, {"surprise": 1})
        assert body_schema(schema, method, path)["additionalProperties"] is False


def test_every_other_field_a_400_names_is_in_the_operation(schema):
    def parameters(method: str, path: str) -> set[str]:
        return {parameter["name"] for parameter in operation(schema, method, path).get("parameters", [])}

    named = {
        ("POST", "/apply"): sent("POST", "/apply", "[]", query={"variant": "quantum"})
        + sent("POST", "/apply", "{}", headers={"idempotency-key": "has spaces"})
        + sent("POST", "/apply", "[]"),
        ("GET", "/status/{application_id}"): sent("GET", '/status/not"an"id'),  # refused before any read
        ("POST", "/approve/{application_id}"): sent("POST", "/approve/not%20an%20id", "{}", MANAGER)
        + sent("POST", "/approve/alice-1", "[]", MANAGER),
        ("POST", "/reviews/{request_id}"): sent("POST", "/reviews/not%20an%20id", "{}", HR)
        + sent("POST", "/reviews/req-1", "[]", HR),
    }
    assert named[("POST", "/apply")] == ["variant", "Idempotency-Key", "body"]
    for (method, path), fields in named.items():
        for field in fields:
            if field == "body":
                assert "requestBody" in operation(schema, method, path), (path, field)
            else:
                assert field in parameters(method, path), (path, field)


def test_every_route_but_the_schema_itself_is_documented_with_its_role(schema):
    documented = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert documented == {(route.method, route.path) for route in ROUTES if route.path != "/openapi.json"}
    for route in ROUTES:
        if route.path == "/openapi.json":
            continue
        described = operation(schema, route.method, route.path)
        assert described["summary"] == route.summary
        assert ("security" in described) == bool(route.role), route
        assert {"401", "403"} <= set(described["responses"]) if route.role else True
        assert "500" in described["responses"]


def test_the_schema_has_no_validation_error_shapes_the_api_never_answers(schema):
    text = json.dumps(schema)
    assert "HTTPValidationError" not in text and '"422": {"description": "Validation Error"' not in text
    assert set(schema["components"]["schemas"]) >= {"InvalidRequest", "FieldError", "LoanStatus", "LoanWorkflow"}


# --- the models' limits are the rules' limits -----------------------------------------------------------------

ALICE = loan_cases(["alice"])[0].application
DANA = {"approved": True, "manager": "Dana Lee", "comment": "strong file"}
PRIYA = {"decision": "approve", "reviewer": "Priya Shah"}
LIMITS = [  # (model, rule, body): the model refuses the body exactly when the rule does
    (LoanApplicationBody, validate_application, ALICE),
    (LoanApplicationBody, validate_application, {**ALICE, "application_id": "a" * 64}),
    (LoanApplicationBody, validate_application, {**ALICE, "application_id": "a" * 65}),
    (LoanApplicationBody, validate_application, {**ALICE, "application_id": "-starts-with-a-dash"}),
    (LoanApplicationBody, validate_application, {**ALICE, "application_id": None}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_amount": MAX_LOAN_AMOUNT}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_amount": MAX_LOAN_AMOUNT + 0.01}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_amount": 0}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_amount": 0.01}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_amount": 1234.567}),
    (LoanApplicationBody, validate_application, {**ALICE, "annual_income": MAX_ANNUAL_INCOME}),
    (LoanApplicationBody, validate_application, {**ALICE, "annual_income": MAX_ANNUAL_INCOME + 1}),
    (LoanApplicationBody, validate_application, {**ALICE, "sin_last4": "123"}),
    (LoanApplicationBody, validate_application, {**ALICE, "sin_last4": "12345"}),
    (LoanApplicationBody, validate_application, {**ALICE, "sin_last4": "12a4"}),
    (LoanApplicationBody, validate_application, {**ALICE, "applicant_name": "A" * MAX_NAME_LENGTH}),
    (LoanApplicationBody, validate_application, {**ALICE, "applicant_name": "A" * (MAX_NAME_LENGTH + 1)}),
    (LoanApplicationBody, validate_application, {**ALICE, "applicant_name": "   "}),
    (LoanApplicationBody, validate_application, {**ALICE, "loan_purpose": ""}),
    (LoanApplicationBody, validate_application, {k: v for k, v in ALICE.items() if k != "loan_purpose"}),
    (ManagerDecisionBody, validate_manager_decision, DANA),
    (ManagerDecisionBody, validate_manager_decision, {**DANA, "comment": ""}),
    (ManagerDecisionBody, validate_manager_decision, {**DANA, "comment": "c" * MAX_COMMENT_LENGTH}),
    (ManagerDecisionBody, validate_manager_decision, {**DANA, "comment": "c" * (MAX_COMMENT_LENGTH + 1)}),
    (ManagerDecisionBody, validate_manager_decision, {**DANA, "approved": None}),
    (ManagerDecisionBody, validate_manager_decision, {**DANA, "manager": ""}),
    (HrReviewBody, validate_hr_review, PRIYA),
    (HrReviewBody, validate_hr_review, {**PRIYA, "decision": "reject"}),
    (HrReviewBody, validate_hr_review, {**PRIYA, "decision": "maybe"}),
    (HrReviewBody, validate_hr_review, {**PRIYA, "reviewer": "R" * (MAX_NAME_LENGTH + 1)}),
]


@pytest.mark.parametrize(("model", "rule", "body"), LIMITS)
def test_a_model_refuses_a_body_exactly_when_its_rule_does(model: type[BaseModel], rule, body):
    try:
        rule(body)
        accepted_by_rule = True
    except InputInvalid:
        accepted_by_rule = False
    try:
        model.model_validate(body, strict=True)
        accepted_by_model = True
    except ValidationError:
        accepted_by_model = False
    assert accepted_by_model == accepted_by_rule, body


def test_the_examples_are_the_demo_cases_and_pass_the_rules(schema):
    alice = loan_cases(["alice"])[0]
    assert EXAMPLES["application"] == alice.application and EXAMPLES["manager"] == alice.manager
    assert EXAMPLES["hr"] == training_cases(["marketing-specialist"])[0].hr
    for (method, path), (rule, _) in BODY_RULES.items():
        [example] = body_schema(schema, method, path)["examples"]
        rule(example)
