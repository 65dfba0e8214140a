"""A training request document is checked field by field before any workflow starts.

Every problem is reported at once, each naming the field and the rule, so the employee can fix the document in
one go. The request id is not in the document: it comes from the upload's object key (``requests/<id>.json``),
so uploading the same key again names the same workflow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.training.models import TrainingRequest

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


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class RequestInvalid(ValueError):
    """The request breaks one or more rules; ``errors`` lists each field and rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))

    def as_json(self) -> list[dict[str, str]]:
        return [{"field": error.field, "rule": error.rule} for error in self.errors]


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


def _text(raw: Mapping[str, Any], field: str, limit: int, errors: list[FieldError]) -> str | None:
    value = raw[field]
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
        return None
    value = value.strip()
    if not value:
        errors.append(FieldError(field, "must not be empty"))
    elif len(value) > limit:
        errors.append(FieldError(field, f"must be at most {limit:,} characters"))
    return value


def _cost(value: Any, errors: list[FieldError]) -> float | None:
    # bool is an int in Python; "true" is not an amount of money.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        errors.append(FieldError("cost", "must be a number"))
    elif value <= 0:
        errors.append(FieldError("cost", "must be greater than 0"))
    elif value > MAX_COST:
        errors.append(FieldError("cost", f"must be at most {MAX_COST:,}"))
    elif round(value, 2) != value:
        errors.append(FieldError("cost", "must have at most 2 decimal places"))
    else:
        return float(value)
    return None


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
            values[field] = _cost(raw[field], errors)
        else:
            values[field] = _text(raw, field, MAX_LONG_TEXT if field in LONG_FIELDS else MAX_SHORT_TEXT, errors)
    email = values.get("employee_email")
    if email and not EMAIL_PATTERN.fullmatch(email):
        errors.append(FieldError("employee_email", "must be an email address (name@domain)"))
    if errors:
        raise RequestInvalid(errors)
    return TrainingRequest(request_id=request_id, **values)
