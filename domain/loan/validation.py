"""Rule 1: an application is checked field by field before any workflow starts.

Every problem is reported at once, each naming the field and the rule, so a person can fix the form in one go.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from domain.loan.models import LoanApplication, ManagerDecision
from domain.validation import (
    MAX_NAME_LENGTH,
    FieldError,
    InputInvalid,
    id_error,
    optional_comment,
    positive_amount,
    text_field,
    unknown_fields,
    yes_or_no,
)

MAX_TEXT_LENGTH = MAX_NAME_LENGTH  # the applicant's name and the loan's purpose
# Upper bounds keep the arithmetic exact and reject typos of several orders of magnitude; a consumer lender
# with larger loans raises them here.
MAX_LOAN_AMOUNT = 10_000_000
MAX_ANNUAL_INCOME = 1_000_000_000
SIN_LAST4 = re.compile(r"[0-9]{4}")  # the last 4 digits of the applicant's SIN, as text
REQUIRED_FIELDS = ("applicant_name", "sin_last4", "annual_income", "loan_amount", "loan_purpose")
DECISION_FIELDS = ("approved", "manager", "comment")


class ApplicationInvalid(InputInvalid):
    """The application breaks one or more rules; ``errors`` lists each field and rule."""


def new_application_id() -> str:
    return f"loan-{uuid.uuid4().hex[:12]}"


def validate_application(raw: Any, application_id: str | None = None) -> LoanApplication:
    """Return the application, or raise :class:`ApplicationInvalid` listing every broken rule."""
    if not isinstance(raw, Mapping):
        raise ApplicationInvalid([FieldError("body", "must be a JSON object")])
    errors: list[FieldError] = [FieldError(field, "is required") for field in REQUIRED_FIELDS if field not in raw]
    errors += unknown_fields(raw, (*REQUIRED_FIELDS, "application_id"), "a loan application")

    if raw.get("application_id") is not None:
        application_id = raw["application_id"]
    application_id = new_application_id() if application_id is None else application_id
    if error := id_error(application_id, "application_id"):
        errors.append(error)

    present = {field: raw[field] for field in REQUIRED_FIELDS if field in raw}
    name = (
        text_field(present, "applicant_name", MAX_TEXT_LENGTH, errors, name=True)
        if "applicant_name" in present
        else None
    )
    purpose = text_field(present, "loan_purpose", MAX_TEXT_LENGTH, errors) if "loan_purpose" in present else None
    sin = present.get("sin_last4")
    if "sin_last4" in present and not (isinstance(sin, str) and SIN_LAST4.fullmatch(sin)):
        errors.append(FieldError("sin_last4", "must be exactly 4 digits, as text"))
    income = (
        positive_amount(present, "annual_income", MAX_ANNUAL_INCOME, errors) if "annual_income" in present else None
    )
    amount = positive_amount(present, "loan_amount", MAX_LOAN_AMOUNT, errors) if "loan_amount" in present else None

    if errors:
        raise ApplicationInvalid(errors)
    return LoanApplication(
        application_id=application_id,
        applicant_name=name,
        sin_last4=sin,
        annual_income=income,
        loan_amount=amount,
        loan_purpose=purpose,
    )


def validate_manager_decision(raw: Any) -> ManagerDecision:
    """A manager's answer to a pending approval: ``{"approved": true|false, "manager": "...", "comment": "..."}``,
    or :class:`ApplicationInvalid` listing every broken rule."""
    if not isinstance(raw, Mapping):
        raise ApplicationInvalid([FieldError("body", "must be a JSON object")])
    errors = unknown_fields(raw, DECISION_FIELDS, "a manager's decision")
    approved = yes_or_no(raw, "approved", "must be true or false", errors)
    if "manager" not in raw:
        errors.append(FieldError("manager", "must name the manager deciding"))
    manager = text_field(raw, "manager", MAX_NAME_LENGTH, errors, name=True) if "manager" in raw else None
    comment = optional_comment(raw, errors)
    if errors:
        raise ApplicationInvalid(errors)
    return ManagerDecision(approved=approved, manager=manager, comment=comment)
