"""The rules every input shares (domain/validation.py): a body is read within its limits, text is valid Unicode
without invisible control characters in names, numbers are bounded, and the decisions people send are checked
like the forms — each broken rule named with its field, nothing raised that is not a field error."""

from __future__ import annotations

import json

import pytest

from domain.loan.validation import (
    ApplicationInvalid,
    validate_application,
    validate_manager_decision,
)
from domain.training.validation import (
    LONG_FIELDS,
    MAX_LONG_TEXT,
    MAX_SHORT_TEXT,
    RequestInvalid,
    validate_hr_review,
    validate_request,
)
from domain.validation import (
    MAX_BODY_BYTES,
    MAX_COMMENT_LENGTH,
    MAX_NESTING,
    BodyTooLarge,
    FieldError,
    InputInvalid,
    read_json_body,
)
from duoflow.scenarios import training_cases
from tests.unit.loan.builders import form

STEP_FUNCTIONS_STATE_LIMIT = 256 * 1024


def body_errors(raw: bytes | str) -> list[FieldError]:
    with pytest.raises(InputInvalid) as caught:
        read_json_body(raw)
    return caught.value.errors


def application_errors(raw: bytes | str) -> list[FieldError]:
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(read_json_body(raw))
    return caught.value.errors


# --- the body ------------------------------------------------------------------------------------------------


def test_a_body_over_64_kib_is_refused_as_too_large_before_it_is_read():
    with pytest.raises(BodyTooLarge) as caught:
        read_json_body(b" " * (MAX_BODY_BYTES + 1))
    assert caught.value.status == 413
    assert caught.value.errors == [
        FieldError("body", f"must be at most 65,536 bytes (64 KiB); it is {MAX_BODY_BYTES + 1:,}")
    ]
    assert read_json_body(b" " * (MAX_BODY_BYTES - 2) + b"{}") == {}


def test_a_body_that_is_not_utf8_is_refused_not_repaired():
    assert body_errors(b'{"applicant_name": "Ch\xc3\x28rlie"}') == [
        FieldError("body", "must be UTF-8 text (invalid byte at 22)")
    ]


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 30_000])  # 30,000 deep: 60 KB, under the size limit
def test_deep_nesting_is_refused_by_name_not_by_a_recursion_error(depth):
    assert body_errors("[" * depth + "]" * depth) == [
        FieldError("body", f"must not nest objects or arrays more than {MAX_NESTING} deep")
    ]


def test_brackets_inside_text_do_not_count_as_nesting():
    text = json.dumps({"loan_purpose": "[[[[" * 50 + '\\"{{{' * 50})
    assert read_json_body(text)["loan_purpose"].startswith("[[[[")


def test_not_json_is_named():
    assert body_errors(b"{not json") == [FieldError("body", "must be valid JSON")]
    assert body_errors(b"") == [FieldError("body", "must be valid JSON")]


@pytest.mark.parametrize(
    ("literal", "rule"),
    [
        ("9" * 5_000, "must be a number of at most 32 characters"),
        ("1." + "5" * 40, "must be a number of at most 32 characters"),
        ("NaN", "must be a finite number (NaN and Infinity are not numbers in JSON)"),
        ("-Infinity", "must be a finite number (NaN and Infinity are not numbers in JSON)"),
        ("1e999", "must be a finite number"),
    ],
)
def test_a_number_that_cannot_be_kept_is_named_by_its_field(literal, rule):
    raw = json.dumps(form()).replace('"loan_amount": 25000', f'"loan_amount": {literal}')
    assert application_errors(raw) == [FieldError("loan_amount", rule)]


# --- text ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["applicant_name", "loan_purpose"])
def test_a_lone_surrogate_is_refused_in_any_text(field):
    raw = json.dumps(form(**{field: "Bob"})).replace('"Bob"', '"B\\ud800ob"')
    assert application_errors(raw) == [FieldError(field, "must be valid Unicode text (it holds a lone surrogate)")]


@pytest.mark.parametrize(
    ("character", "rule"),
    [
        ("\x00", "must not contain control characters (U+0000)"),
        ("\n", "must not contain control characters (U+000A)"),
        ("\x85", "must not contain control characters (U+0085)"),
        ("\u202e", "must not contain bidirectional control characters (U+202E)"),
        ("\u2066", "must not contain bidirectional control characters (U+2066)"),
        ("\u2028", "must be one line (U+2028)"),
    ],
    ids=repr,
)
def test_a_name_has_no_invisible_or_reordering_characters(character, rule):
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(form(applicant_name=f"Bob{character}Martinez"))
    assert caught.value.errors == [FieldError("applicant_name", rule)]


def test_free_text_may_have_line_breaks_and_tabs_but_no_other_control_characters():
    purpose = "new roof\n\tand gutters"
    assert validate_application(form(loan_purpose=purpose)).loan_purpose == purpose
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(form(loan_purpose="roof\x07"))
    assert caught.value.errors == [
        FieldError("loan_purpose", "must not contain control characters other than tab and line breaks (U+0007)")
    ]


def test_a_name_in_any_script_is_welcome():
    name = "Zoë Ðặng 王秀英 محمد"
    assert validate_application(form(applicant_name=name)).applicant_name == name


def test_an_unknown_field_with_a_huge_name_is_named_short():
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(form(**{"x" * 10_000: 1}))
    assert caught.value.errors == [FieldError("x" * 64 + "…", "is not a field of a loan application")]


# --- the decisions people send ---------------------------------------------------------------------------


def test_a_manager_decision_is_checked_like_a_form():
    decision = validate_manager_decision({"approved": True, "manager": " Dana ", "comment": " fine "})
    assert (decision.approved, decision.manager, decision.comment) == (True, "Dana", "fine")
    with pytest.raises(ApplicationInvalid) as caught:
        validate_manager_decision(
            {"approved": "yes", "manager": "D\u202eana", "comment": "x" * (MAX_COMMENT_LENGTH + 1), "extra": 1}
        )
    assert caught.value.errors == [
        FieldError("extra", "is not a field of a manager's decision"),
        FieldError("approved", "must be true or false"),
        FieldError("manager", "must not contain bidirectional control characters (U+202E)"),
        FieldError("comment", "must be at most 1,000 characters"),
    ]
    with pytest.raises(ApplicationInvalid) as caught:
        validate_manager_decision({"approved": False})
    assert caught.value.errors == [FieldError("manager", "must name the manager deciding")]
    with pytest.raises(ApplicationInvalid) as caught:
        validate_manager_decision([])
    assert caught.value.errors == [FieldError("body", "must be a JSON object")]


def test_an_hr_review_is_checked_like_a_form():
    review = validate_hr_review({"decision": "reject", "reviewer": "Priya Shah"})
    assert (review.approved, review.reviewer, review.comment) == (False, "Priya Shah", "")
    with pytest.raises(RequestInvalid) as caught:
        validate_hr_review({"decision": ["approve"], "reviewer": "P\x00", "comment": "\ud800"})
    assert caught.value.errors == [
        FieldError("decision", "must be 'approve' or 'reject'"),
        FieldError("reviewer", "must not contain control characters (U+0000)"),
        FieldError("comment", "must be valid Unicode text (it holds a lone surrogate)"),
    ]


# --- nothing accepted outgrows a workflow's state ----------------------------------------------------------


def test_the_largest_accepted_input_fits_a_step_functions_state_many_times_over():
    """Four-byte characters everywhere, every field at its limit, escaped as the workflows' JSON escapes them:
    the training document (the longest form) with HR's longest decision stays under a third of the 256 KB state
    limit, leaving the rest for what the workflow adds (score, rationale, enrollment)."""
    wide = "\U0001f600"  # one character, four UTF-8 bytes, twelve bytes as a JSON escape
    base = training_cases(["driver"])[0].request

    largest = {
        field: (wide * (MAX_LONG_TEXT if field in LONG_FIELDS else MAX_SHORT_TEXT) if isinstance(value, str) else value)
        for field, value in base.items()
    }
    largest["employee_email"] = "a" * 190 + "@b.example"
    request = validate_request(largest, "largest")
    decision = validate_hr_review({"decision": "approve", "reviewer": wide * 200, "comment": wide * 1_000})
    state = json.dumps({"request": request.model_dump(mode="json"), "review": decision.model_dump(mode="json")})
    assert len(state.encode()) < STEP_FUNCTIONS_STATE_LIMIT / 3


@pytest.mark.parametrize("character", ["\x1c", "\t", "\n", "\x85"], ids=repr)
def test_a_control_character_at_the_end_of_a_name_is_refused_not_trimmed_away(character):
    with pytest.raises(ApplicationInvalid) as caught:
        validate_application(form(applicant_name=f"Charlie Wilson{character}"))
    assert caught.value.errors[0].field == "applicant_name"
    assert caught.value.errors[0].rule.startswith("must not contain control characters")


def test_decimal_places_are_counted_as_the_number_was_written():
    raw = json.dumps(form()).replace('"annual_income": 85000', '"annual_income": 920.0000000000000001')
    assert application_errors(raw) == [FieldError("annual_income", "must have at most 2 decimal places")]
    written = json.dumps(form()).replace('"annual_income": 85000', '"annual_income": 85000.50')
    assert validate_application(read_json_body(written)).annual_income == 85000.5
    assert validate_application(form(annual_income=0.01)).annual_income == 0.01  # a float from Python code
