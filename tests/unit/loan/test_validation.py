"""Rule 1: an application is checked field by field, every problem reported at once, naming field and rule."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.loan.validation import (
    MAX_LOAN_AMOUNT,
    MAX_TEXT_LENGTH,
    REQUIRED_FIELDS,
    ApplicationInvalid,
    FieldError,
    validate_application,
)
from tests.unit.loan.builders import form

GENERATED_ID = re.compile(r"loan-[0-9a-f]{12}")
NOT_A_NUMBER = "must be a number"
NOT_POSITIVE = "must be greater than 0"
TOO_PRECISE = "must have at most 2 decimal places"
BAD_SIN = "must be exactly 4 digits, as text"
BAD_ID = "must be 1-64 letters, digits, '-' or '_'"


def errors_of(raw: object, application_id: str | None = None) -> list[FieldError]:
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(raw, application_id)
    return caught.value.errors


def fields_of(raw: object) -> list[str]:
    return [error.field for error in errors_of(raw)]


# --- a valid application ---------------------------------------------------------------------------------------


def test_a_valid_application_passes_with_its_values():
    application = validate_application(form())

    assert application.applicant_name == "Dana Reyes"
    assert application.sin_last4 == "4821"
    assert application.annual_income == 85_000.0
    assert application.loan_amount == 25_000.0
    assert application.loan_purpose == "home renovation"


def test_a_valid_application_gets_a_generated_id():
    first = validate_application(form()).application_id
    second = validate_application(form()).application_id

    assert GENERATED_ID.fullmatch(first), first
    assert GENERATED_ID.fullmatch(second), second
    assert first != second


def test_an_application_id_given_by_the_caller_is_kept():
    assert validate_application(form(), application_id="loan-from-caller").application_id == "loan-from-caller"


def test_an_application_id_in_the_body_is_kept():
    assert validate_application(form(application_id="Loan_2024-07")).application_id == "Loan_2024-07"


@pytest.mark.parametrize("application_id", ["a", "7", "A_b-9", "x" * 64])
def test_application_ids_within_the_pattern_are_accepted(application_id):
    assert validate_application(form(application_id=application_id)).application_id == application_id


def test_text_fields_are_trimmed():
    application = validate_application(form(applicant_name="  Dana Reyes  ", loan_purpose="\tcar\n"))

    assert (application.applicant_name, application.loan_purpose) == ("Dana Reyes", "car")


@pytest.mark.parametrize("sin", ["0000", "1234", "9999"])
def test_four_ascii_digits_are_a_sin(sin):
    assert validate_application(form(sin_last4=sin)).sin_last4 == sin


@pytest.mark.parametrize("amount", [0.01, 1, 25_000, 25_000.01, 99_999.99, 10_000_000])
def test_positive_amounts_with_at_most_two_decimals_are_accepted(amount):
    application = validate_application(form(loan_amount=amount, annual_income=amount))

    assert application.loan_amount == amount
    assert application.annual_income == amount
    assert isinstance(application.loan_amount, float)


@settings(derandomize=True, database=None, max_examples=300)
@given(cents=st.integers(min_value=1, max_value=MAX_LOAN_AMOUNT * 100))
def test_every_whole_number_of_cents_is_an_accepted_amount(cents):
    amount = cents / 100

    assert validate_application(form(loan_amount=amount)).loan_amount == amount


# --- missing, unknown and wrongly typed fields -------------------------------------------------------------------


def test_every_missing_field_is_reported_at_once():
    assert errors_of({}) == [FieldError(field, "is required") for field in REQUIRED_FIELDS]


@pytest.mark.parametrize("missing", REQUIRED_FIELDS)
def test_one_missing_field_is_reported_by_name(missing):
    body = form()
    del body[missing]

    assert errors_of(body) == [FieldError(missing, "is required")]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("annual_income", "85000", NOT_A_NUMBER),
        ("annual_income", None, NOT_A_NUMBER),
        ("loan_amount", True, NOT_A_NUMBER),
        ("loan_amount", False, NOT_A_NUMBER),
        ("loan_amount", "25,000", NOT_A_NUMBER),
        ("loan_amount", [25_000], NOT_A_NUMBER),
        ("sin_last4", 1111, BAD_SIN),
        ("sin_last4", None, BAD_SIN),
        ("applicant_name", 42, "must be text"),
        ("applicant_name", None, "must be text"),
        ("loan_purpose", ["car"], "must be text"),
    ],
    ids=lambda value: repr(value),
)
def test_a_value_of_the_wrong_type_is_rejected(field, value, rule):
    assert errors_of(form(**{field: value})) == [FieldError(field, rule)]


def test_problems_in_several_fields_are_all_reported():
    body = form(applicant_name=7, sin_last4="12a4", annual_income="lots", loan_amount=-1, nickname="D")
    del body["loan_purpose"]

    assert sorted(errors_of(body), key=lambda error: error.field) == [
        FieldError("annual_income", NOT_A_NUMBER),
        FieldError("applicant_name", "must be text"),
        FieldError("loan_amount", NOT_POSITIVE),
        FieldError("loan_purpose", "is required"),
        FieldError("nickname", "is not a field of a loan application"),
        FieldError("sin_last4", BAD_SIN),
    ]


def test_an_unknown_extra_field_is_rejected():
    assert errors_of(form(ssn="123-45-6789")) == [FieldError("ssn", "is not a field of a loan application")]


@pytest.mark.parametrize("body", [[], ["applicant_name"], "a loan please", 42, None, True], ids=repr)
def test_a_body_that_is_not_an_object_is_rejected_as_body(body):
    assert errors_of(body) == [FieldError("body", "must be a JSON object")]


# --- SIN -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sin", ["123", "12345", "12a4", " 1234", "1234 ", "", "12 4", "-123", "1.23"], ids=repr)
def test_a_sin_that_is_not_exactly_four_digits_is_rejected(sin):
    assert errors_of(form(sin_last4=sin)) == [FieldError("sin_last4", BAD_SIN)]


@pytest.mark.parametrize(
    "sin", ["\u0661\u0662\u0663\u0664", "\uff11\uff12\uff13\uff14"], ids=["arabic-indic", "full-width"]
)
def test_a_sin_of_non_ascii_digits_is_rejected(sin):
    assert errors_of(form(sin_last4=sin)) == [FieldError("sin_last4", BAD_SIN)]


# --- amounts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["loan_amount", "annual_income"])
@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0, NOT_POSITIVE),
        (0.0, NOT_POSITIVE),
        (-0.0, NOT_POSITIVE),
        (-1, NOT_POSITIVE),
        (-0.01, NOT_POSITIVE),
        (math.nan, NOT_A_NUMBER),
        (math.inf, NOT_A_NUMBER),
        (-math.inf, NOT_A_NUMBER),
        (10.005, TOO_PRECISE),
        (25_000.001, TOO_PRECISE),
        (0.001, TOO_PRECISE),
    ],
    ids=repr,
)
def test_an_amount_that_is_not_a_positive_sum_of_money_is_rejected(field, value, rule):
    assert errors_of(form(**{field: value})) == [FieldError(field, rule)]


def test_an_integer_amount_too_large_for_a_float_is_rejected_as_a_field_error():
    assert [error.field for error in errors_of(form(loan_amount=10**400))] == ["loan_amount"]


# --- text length -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["applicant_name", "loan_purpose"])
def test_text_of_the_maximum_length_is_accepted(field):
    application = validate_application(form(**{field: "x" * MAX_TEXT_LENGTH}))

    assert getattr(application, field) == "x" * MAX_TEXT_LENGTH


@pytest.mark.parametrize("field", ["applicant_name", "loan_purpose"])
def test_text_longer_than_200_characters_is_rejected(field):
    assert MAX_TEXT_LENGTH == 200
    assert errors_of(form(**{field: "x" * 201})) == [FieldError(field, "must be at most 200 characters")]


@pytest.mark.parametrize("field", ["applicant_name", "loan_purpose"])
@pytest.mark.parametrize("blank", ["", "   ", "\t\n"], ids=repr)
def test_blank_text_is_rejected(field, blank):
    assert errors_of(form(**{field: blank})) == [FieldError(field, "must not be empty")]


# --- application id ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "application_id",
    ["loan 1", "loan/1", "loan.1", "loan#1", "-loan", "_loan", "x" * 65, "lóan", "loan\t1", 123, 1.5, True, ["x"]],
    ids=repr,
)
def test_an_application_id_outside_the_pattern_is_rejected(application_id):
    assert errors_of(form(application_id=application_id)) == [FieldError("application_id", BAD_ID)]


def test_an_application_id_given_by_the_caller_is_checked_too():
    assert errors_of(form(), application_id="../etc/passwd") == [FieldError("application_id", BAD_ID)]


def test_an_application_id_with_a_trailing_newline_is_rejected():
    assert errors_of(form(application_id="loan-1\n")) == [FieldError("application_id", BAD_ID)]


@pytest.mark.parametrize("application_id", ["", 0, False, [], {}], ids=repr)
def test_an_empty_or_falsy_application_id_in_the_body_is_rejected(application_id):
    assert errors_of(form(application_id=application_id)) == [FieldError("application_id", BAD_ID)]


# --- the error itself --------------------------------------------------------------------------------------------


def test_the_error_message_names_each_field_and_its_rule():
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(form(sin_last4="12a4", loan_amount=0))

    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "sin_last4: must be exactly 4 digits, as text; loan_amount: must be greater than 0"


def test_a_field_error_reads_as_field_and_rule():
    assert str(FieldError("loan_amount", NOT_POSITIVE)) == "loan_amount: must be greater than 0"


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [("loan_amount", 10_000_000.01, "10,000,000"), ("annual_income", 1_000_000_001, "1,000,000,000")],
)
def test_an_amount_above_its_ceiling_is_rejected(field, value, limit):
    assert errors_of(form(**{field: value})) == [FieldError(field, f"must be at most {limit}")]
