"""A training request document is checked field by field, every problem reported at once; the request id
comes from the upload's object key."""

from __future__ import annotations

import pytest

from domain.training.validation import (
    MAX_COST,
    REQUIRED_FIELDS,
    FieldError,
    RequestInvalid,
    request_id_from_key,
    validate_request,
)
from duoflow.scenarios import training_cases


def document(**overrides):
    base = dict(training_cases(["driver"])[0].request)
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not ...}


def errors_of(raw, request_id="req-1") -> list[FieldError]:
    with pytest.raises(RequestInvalid) as caught:
        validate_request(raw, request_id)
    return caught.value.errors


@pytest.mark.parametrize("case", training_cases(), ids=lambda case: case.case)
def test_every_demo_document_is_valid(case):
    request = validate_request(case.request, f"{case.case}-1")
    assert request.request_id == f"{case.case}-1"
    assert request.cost == float(case.request["cost"])


def test_text_is_trimmed_and_cost_becomes_a_float():
    request = validate_request(document(employee_name="  Ana Lima  ", cost=480), "r1")
    assert (request.employee_name, request.cost) == ("Ana Lima", 480.0)


def test_every_problem_is_reported_at_once_naming_field_and_rule():
    raw = document(employee_email="not-an-email", cost=-5, training_title="", provider=7, job_role=...)
    raw["colour"] = "blue"
    assert errors_of(raw) == [
        FieldError("job_role", "is required"),
        FieldError("colour", "is not a field of a training request"),
        FieldError("training_title", "must not be empty"),
        FieldError("provider", "must be text"),
        FieldError("cost", "must be greater than 0"),
        FieldError("employee_email", "must be an email address (name@domain)"),
    ]


def test_an_empty_document_names_every_required_field():
    assert [error.field for error in errors_of({})] == list(REQUIRED_FIELDS)


@pytest.mark.parametrize(
    ("cost", "rule"),
    [
        (True, "must be a number"),
        ("480", "must be a number"),
        (float("nan"), "must be a number"),
        (0, "must be greater than 0"),
        (MAX_COST + 1, f"must be at most {MAX_COST:,}"),
        (10.005, "must have at most 2 decimal places"),
    ],
)
def test_cost_rules(cost, rule):
    assert errors_of(document(cost=cost)) == [FieldError("cost", rule)]


def test_not_an_object():
    assert errors_of(["a list"]) == [FieldError("document", "must be a JSON object")]


def test_a_bad_request_id_is_named():
    assert errors_of(document(), request_id="has space") == [
        FieldError("request_id", "must be 1-64 letters, digits, '-' or '_'")
    ]


def test_request_id_comes_from_the_object_key():
    assert request_id_from_key("requests/driver-42.json", "requests/") == "driver-42"


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("uploads/driver.json", "must start with 'requests/'"),
        ("requests/driver.txt", "must end with '.json'"),
        ("requests/a b.json", "must be requests/<id>.json, the id 1-64 letters, digits, '-' or '_'"),
        ("requests/sub/x.json", "must be requests/<id>.json, the id 1-64 letters, digits, '-' or '_'"),
        ("requests/.json", "must be requests/<id>.json, the id 1-64 letters, digits, '-' or '_'"),
    ],
)
def test_keys_that_cannot_name_a_workflow_are_refused(key, rule):
    with pytest.raises(RequestInvalid) as caught:
        request_id_from_key(key, "requests/")
    assert caught.value.errors == [FieldError("object key", rule)]
