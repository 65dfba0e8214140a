"""Field-level validation shared by every scenario's input: the error that names a field and its rule, and the
checks both forms make (text, a positive amount of money). Every problem is collected, then raised at once."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class InputInvalid(ValueError):
    """The input breaks one or more rules; ``errors`` lists each field and rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))

    def as_json(self) -> list[dict[str, str]]:
        return [{"field": error.field, "rule": error.rule} for error in self.errors]


def text_field(raw: Mapping[str, Any], field: str, limit: int, errors: list[FieldError]) -> str | None:
    """The field's text, stripped; a rule it breaks goes to ``errors``."""
    value = raw.get(field)
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
        return None
    value = value.strip()
    if not value:
        errors.append(FieldError(field, "must not be empty"))
    elif len(value) > limit:
        errors.append(FieldError(field, f"must be at most {limit:,} characters"))
    return value


def positive_amount(raw: Mapping[str, Any], field: str, limit: int, errors: list[FieldError]) -> float | None:
    """An amount of money: a number above 0, at most ``limit``, in cents; a rule it breaks goes to ``errors``."""
    value = raw.get(field)
    # bool is an int in Python; "true" is not an amount of money. Compare before converting: a JSON integer
    # can be too large for a float.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        errors.append(FieldError(field, "must be a number"))
        return None
    if value <= 0:
        errors.append(FieldError(field, "must be greater than 0"))
        return None
    if value > limit:
        errors.append(FieldError(field, f"must be at most {limit:,}"))
        return None
    if round(value, 2) != value:
        errors.append(FieldError(field, "must have at most 2 decimal places"))
        return None
    return float(value)
