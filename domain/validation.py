"""Field-level validation shared by every input a person sends — loan applications, training documents, manager
decisions and HR reviews: the error that names a field and its rule, reading a request body within its limits,
and the checks every form makes (text, names, a positive amount of money). Every problem is collected, then
raised at once.

The limits are chosen so that nothing accepted can grow a workflow's state past Step Functions' 256 KB limit
later: every field has a length limit; the longest accepted input (a training document — six short fields, two
descriptions — and HR's decision on it) is under 7,500 characters, which is 75 KB at worst as the workflows'
JSON writes it (a four-byte character becomes a twelve-byte escape), under a third of the limit; and a body is
at most 64 KiB before it is read at all (tests/unit/test_input_rules.py checks the arithmetic).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # a request body, before it is read
MAX_NESTING = 20  # objects and arrays inside each other; the forms are flat, this leaves room for wrappers
MAX_NUMBER_CHARACTERS = 32  # a number as written: ample for any amount with cents, far from 5,000 digits
MAX_NAME_LENGTH = 200  # a person's name, a title, a role, a provider
MAX_COMMENT_LENGTH = 1_000  # a manager's or HR reviewer's comment

# An application id or training request id: it names executions, object keys and URL paths.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
ID_RULE = "must be 1-64 letters, digits, '-' or '_'"

# Characters that change how text is displayed without being seen: a right-to-left override makes "Bob" show as
# something else in a reviewer's list. Never in names; in free text only tab and line breaks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
FREE_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FieldError:
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class InputInvalid(ValueError):
    """The input breaks one or more rules; ``errors`` lists each field and rule."""

    status = 400

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))

    def as_json(self) -> list[dict[str, str]]:
        return [{"field": error.field, "rule": error.rule} for error in self.errors]


class BodyTooLarge(InputInvalid):
    """The body is over :data:`MAX_BODY_BYTES`: refused before it is read (HTTP 413)."""

    status = 413

    def __init__(self, size: int) -> None:
        super().__init__([FieldError("body", f"must be at most {MAX_BODY_BYTES:,} bytes (64 KiB); it is {size:,}")])


class WrittenNumber(float):
    """A JSON number with a fraction or exponent, kept with the text it was written as: 920.0000000000000001 is
    920.0 as a float, but it was not written with at most 2 decimal places."""

    text: str

    def __new__(cls, text: str) -> WrittenNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


@dataclass(frozen=True)
class UnreadableNumber:
    """A number in the body that is not kept as one: too many digits, NaN or Infinity. Reading it as a marker
    rather than failing lets the field it is in be named (a 5,000-digit integer would otherwise stop the parser,
    and NaN is valid for Python's json but not for JSON)."""

    rule: str


def read_json_body(body: bytes | str | None) -> Any:
    """The request body as JSON values, or :class:`InputInvalid` naming ``body``: at most 64 KiB, UTF-8, valid
    JSON, nested at most :data:`MAX_NESTING` deep. A number that cannot be kept reads as
    :class:`UnreadableNumber`, which every field check refuses by name."""
    text = body_text(body)
    if nesting_depth(text) > MAX_NESTING:
        raise InputInvalid([FieldError("body", f"must not nest objects or arrays more than {MAX_NESTING} deep")])
    try:
        return json.loads(text, parse_int=_integer, parse_float=_decimal, parse_constant=_constant)
    except (json.JSONDecodeError, ValueError):
        raise InputInvalid([FieldError("body", "must be valid JSON")]) from None


def body_text(body: bytes | str | None) -> str:
    """The body as text, or :class:`InputInvalid` naming ``body``: at most 64 KiB, and UTF-8."""
    raw = body.encode("utf-8", errors="surrogatepass") if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(len(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputInvalid([FieldError("body", f"must be UTF-8 text (invalid byte at {error.start})")]) from None


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(text: str) -> int:
    """How deep objects and arrays nest in JSON ``text`` (brackets inside strings do not count). Measured
    before parsing: Python's parser raises RecursionError on a deep enough body instead of an error to name."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _integer(text: str) -> int | UnreadableNumber:
    if len(text) > MAX_NUMBER_CHARACTERS:
        return UnreadableNumber(f"must be a number of at most {MAX_NUMBER_CHARACTERS} characters")
    return int(text)


def _decimal(text: str) -> WrittenNumber | UnreadableNumber:
    if len(text) > MAX_NUMBER_CHARACTERS:
        return UnreadableNumber(f"must be a number of at most {MAX_NUMBER_CHARACTERS} characters")
    value = WrittenNumber(text)
    return value if math.isfinite(value) else UnreadableNumber("must be a finite number")


def _constant(text: str) -> UnreadableNumber:  # NaN, Infinity, -Infinity
    return UnreadableNumber("must be a finite number (NaN and Infinity are not numbers in JSON)")


def id_error(value: Any, field: str) -> FieldError | None:
    """The error of an id that breaks :data:`ID_PATTERN`, or None."""
    if isinstance(value, str) and ID_PATTERN.fullmatch(value):
        return None
    return FieldError(field, ID_RULE)


def checked_id(value: str, field: str) -> str:
    """An id from a URL path, or :class:`InputInvalid` naming ``field``: a malformed id is a bad request, not a
    missing one."""
    if error := id_error(value, field):
        raise InputInvalid([error])
    return value


def unknown_fields(raw: Mapping[str, Any], known: tuple[str, ...] | set[str], what: str) -> list[FieldError]:
    """One error per field the form does not have, named as ``what`` ("a loan application")."""
    return [FieldError(_shown(field), f"is not a field of {what}") for field in sorted(set(raw) - set(known), key=str)]


def _shown(field: Any, limit: int = 64) -> str:
    """A field name as the sender wrote it, cut short: an error message must not echo a 60 KB key back."""
    text = str(field)
    return text if len(text) <= limit else text[:limit] + "…"


def text_field(
    raw: Mapping[str, Any], field: str, limit: int, errors: list[FieldError], *, name: bool = False
) -> str | None:
    """The field's text, stripped; a rule it breaks goes to ``errors``. Text must be valid Unicode (a lone
    surrogate cannot be stored or sent on); ``name``: a name or title, one line without control characters;
    otherwise free text, where tab and line breaks are allowed."""
    value = raw.get(field)
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
        return None
    # Characters are checked before trimming: "Bob\x1c" must not become "Bob" unnoticed (strip() removes some
    # control characters too).
    rule = _unwanted_characters(value, name)
    value = value.strip()
    if not value:
        errors.append(FieldError(field, "must not be empty"))
    elif len(value) > limit:
        errors.append(FieldError(field, f"must be at most {limit:,} characters"))
    elif rule:
        errors.append(FieldError(field, rule))
    return value


def _unwanted_characters(value: str, name: bool) -> str | None:
    if any("\ud800" <= character <= "\udfff" for character in value):
        return "must be valid Unicode text (it holds a lone surrogate)"
    for character in value:
        if character in BIDI_CONTROLS:
            return f"must not contain bidirectional control characters (U+{ord(character):04X})"
        category = unicodedata.category(character)
        if category == "Cc" and (name or character not in FREE_TEXT_CONTROLS_ALLOWED):
            allowed = "" if name else " other than tab and line breaks"
            return f"must not contain control characters{allowed} (U+{ord(character):04X})"
        if name and category in ("Zl", "Zp"):
            return f"must be one line (U+{ord(character):04X})"
    return None


def positive_amount(raw: Mapping[str, Any], field: str, limit: int, errors: list[FieldError]) -> float | None:
    """An amount of money: a number above 0, at most ``limit``, in cents; a rule it breaks goes to ``errors``."""
    value = raw.get(field)
    if isinstance(value, UnreadableNumber):
        errors.append(FieldError(field, value.rule))
        return None
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
    # As written in the body, or as Python prints a float (its shortest round-trip form: 0.01, not 0.01000…0208)
    exact = Decimal(value.text if isinstance(value, WrittenNumber) else repr(value))
    if exact != exact.quantize(CENT):
        errors.append(FieldError(field, "must have at most 2 decimal places"))
        return None
    return float(value)


def yes_or_no(raw: Mapping[str, Any], field: str, rule: str, errors: list[FieldError]) -> bool | None:
    value = raw.get(field)
    if not isinstance(value, bool):
        errors.append(FieldError(field, rule))
        return None
    return value


def optional_comment(raw: Mapping[str, Any], errors: list[FieldError], field: str = "comment") -> str:
    """A person's comment on a decision: optional free text, at most :data:`MAX_COMMENT_LENGTH` characters."""
    if field not in raw:
        return ""
    value = raw.get(field)
    if isinstance(value, str) and not value.strip():
        return ""
    return text_field(raw, field, MAX_COMMENT_LENGTH, errors) or ""
