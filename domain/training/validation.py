"""A training request document is checked field by field before any workflow starts.

Every problem is reported at once, each naming the field and the rule, so the employee can fix the document in
one go. The request id is not in the document: it comes from the upload's object key (``requests/<id>.json``),
so uploading the same key again names the same workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from domain.training.models import TrainingRequest
from domain.validation import FieldError, InputInvalid, positive_amount, text_field

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_SHORT_TEXT = 200  # names, titles, roles, providers
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
    elif not REQUEST_ID_PATTERN.fullmatch(name[: -len(DOCUMENT_SUFFIX)]):
        rule = f"must be {prefix}<id>{DOCUMENT_SUFFIX}, the id 1-64 letters, digits, '-' or '_'"
    if rule:
        raise RequestInvalid([FieldError("object key", rule)])
    return name[: -len(DOCUMENT_SUFFIX)]


def validate_request(raw: Any, request_id: str) -> TrainingRequest:
    """Return the request, or raise :class:`RequestInvalid` listing every broken rule."""
    if not isinstance(raw, Mapping):
        raise RequestInvalid([FieldError("document", "must be a JSON object")])
    errors: list[FieldError] = []
    if not isinstance(request_id, str) or not REQUEST_ID_PATTERN.fullmatch(request_id):
        errors.append(FieldError("request_id", "must be 1-64 letters, digits, '-' or '_'"))
    errors += [FieldError(field, "is required") for field in REQUIRED_FIELDS if field not in raw]
    errors += [
        FieldError(field, "is not a field of a training request")
        for field in sorted(set(raw) - set(REQUIRED_FIELDS), key=str)
    ]
    values: dict[str, Any] = {}
    for field in REQUIRED_FIELDS:
        if field not in raw:
            continue
        if field == "cost":
            values[field] = positive_amount(raw, field, MAX_COST, errors)
        else:
            values[field] = text_field(raw, field, MAX_LONG_TEXT if field in LONG_FIELDS else MAX_SHORT_TEXT, errors)
    email = values.get("employee_email")
    if email and not EMAIL_PATTERN.fullmatch(email):
        errors.append(FieldError("employee_email", "must be an email address (name@domain)"))
    if errors:
        raise RequestInvalid(errors)
    return TrainingRequest(request_id=request_id, **values)
