"""A training request document is checked field by field before any workflow starts.

Every problem is reported at once, each naming the field and the rule, so the employee can fix the document in
one go. The request id is not in the document: it comes from the upload's object key (``requests/<id>.json``),
so uploading the same key again names the same workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.training.models import HrDecision, TrainingRequest
from domain.validation import (
    MAX_NAME_LENGTH,
    FieldError,
    InputInvalid,
    id_error,
    optional_comment,
    positive_amount,
    text_field,
    unknown_fields,
)

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_SHORT_TEXT = MAX_NAME_LENGTH  # names, titles, roles, providers
MAX_LONG_TEXT = 2_000  # job and training descriptions: enough for a paragraph, short enough for a prompt
MAX_COST = 100_000  # dollars; a training request above this is a typo or a different process
SHORT_FIELDS = ("employee_id", "employee_name", "job_role", "training_title", "provider")
LONG_FIELDS = ("job_description", "training_description")
REQUIRED_FIELDS = (
    "employee_id",
    "employee_name",
    "employee_email",
    "job_role",
    "job_description",
    "training_title",
    "training_description",
    "provider",
    "cost",
)
DOCUMENT_SUFFIX = ".json"
HR_DECISIONS = {"approve": True, "reject": False}
REVIEW_FIELDS = ("decision", "reviewer", "comment")


class RequestInvalid(InputInvalid):
    """The request breaks one or more rules; ``errors`` lists each field and rule."""


def request_id_from_key(key: str, prefix: str) -> str:
    """``requests/<id>.json`` → ``<id>``; a key that cannot name a workflow raises :class:`RequestInvalid`."""
    name = key[len(prefix) :] if key.startswith(prefix) else key
    rule = None
    if not key.startswith(prefix):
        rule = f"must start with {prefix!r}"
    elif not name.endswith(DOCUMENT_SUFFIX):
        rule = f"must end with {DOCUMENT_SUFFIX!r}"
    elif id_error(name[: -len(DOCUMENT_SUFFIX)], "request_id"):
        rule = f"must be {prefix}<id>{DOCUMENT_SUFFIX}, the id 1-64 letters, digits, '-' or '_'"
    if rule:
        raise RequestInvalid([FieldError("object key", rule)])
    return name[: -len(DOCUMENT_SUFFIX)]


def validate_request(raw: Any, request_id: str) -> TrainingRequest:
    """Return the request, or raise :class:`RequestInvalid` listing every broken rule."""
    if not isinstance(raw, Mapping):
        raise RequestInvalid([FieldError("document", "must be a JSON object")])
    errors: list[FieldError] = []
    if error := id_error(request_id, "request_id"):
        errors.append(error)
    errors += [FieldError(field, "is required") for field in REQUIRED_FIELDS if field not in raw]
    errors += unknown_fields(raw, REQUIRED_FIELDS, "a training request")
    values: dict[str, Any] = {}
    for field in REQUIRED_FIELDS:
        if field not in raw:
            continue
        if field == "cost":
            values[field] = positive_amount(raw, field, MAX_COST, errors)
        else:
            long_text = field in LONG_FIELDS
            values[field] = text_field(
                raw, field, MAX_LONG_TEXT if long_text else MAX_SHORT_TEXT, errors, name=not long_text
            )
    email = values.get("employee_email")
    if email and not EMAIL_PATTERN.fullmatch(email):
        errors.append(FieldError("employee_email", "must be an email address (name@domain)"))
    if errors:
        raise RequestInvalid(errors)
    return TrainingRequest(request_id=request_id, **values)


def validate_hr_review(raw: Any) -> HrDecision:
    """HR's answer to a pending review: ``{"decision": "approve"|"reject", "reviewer": "...", "comment": "..."}``,
    or :class:`RequestInvalid` listing every broken rule."""
    if not isinstance(raw, Mapping):
        raise RequestInvalid([FieldError("body", "must be a JSON object")])
    errors = unknown_fields(raw, REVIEW_FIELDS, "a review")
    decision = raw.get("decision")
    if not isinstance(decision, str) or decision not in HR_DECISIONS:
        errors.append(FieldError("decision", "must be 'approve' or 'reject'"))
    if "reviewer" not in raw:
        errors.append(FieldError("reviewer", "must name the HR reviewer deciding"))
    reviewer = text_field(raw, "reviewer", MAX_NAME_LENGTH, errors, name=True) if "reviewer" in raw else None
    comment = optional_comment(raw, errors)
    if errors:
        raise RequestInvalid(errors)
    return HrDecision(approved=HR_DECISIONS[decision], reviewer=reviewer, comment=comment)
