"""Bad requests for the console server's four write routes (tests/api/test_bad_input.py): a valid body with
exactly one thing made wrong — or, for a share, several — written as raw bytes, so that what ``json.dumps``
cannot write (invalid UTF-8, NaN, a 5,000-digit integer, 100,000 brackets) can be sent too.

A form lists its fields and their kinds; a mutation says which kinds it can break. A mutation that needs raw
bytes puts a marker in the body (``"@@V0@@"`` for a whole value, ``@@S0@@`` inside a string) that is replaced
once the body is serialized.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from domain.loan.validation import MAX_ANNUAL_INCOME, MAX_LOAN_AMOUNT, MAX_TEXT_LENGTH
from domain.training.validation import MAX_COST, MAX_LONG_TEXT, MAX_SHORT_TEXT
from domain.validation import MAX_BODY_BYTES, MAX_COMMENT_LENGTH, MAX_NESTING
from duoflow.scenarios import loan_cases, training_cases

BODY_LIMIT = MAX_BODY_BYTES  # a larger body is refused with 413 (issue 14: 64 KiB)
NESTING_LIMIT = MAX_NESTING  # objects and arrays inside each other (issue 14: 20)
ID_LIMIT = 64  # an application or request id: 1-64 letters, digits, '-' or '_'
JSON = "application/json"
VARIANTS = ("hybrid", "sfn", "durable")

# --- forms ---------------------------------------------------------------------------------------------------

NAME = "name"  # a person's name, a title, a role, a provider, an employee id: one line, no controls
TEXT = "text"  # short free text (the loan's purpose)
LONG_TEXT = "long text"  # a description: tab and line breaks allowed
COMMENT = "comment"  # optional free text on a decision; blank means none
EMAIL = "email"
DIGITS4 = "4 digits"
AMOUNT = "amount"
FLAG = "true or false"
DECISION = "approve or reject"
ID = "id"
VARIANT = "variant"
DOCUMENT = "document"  # the upload's {"request": {...}}
STRINGS = (NAME, TEXT, LONG_TEXT, COMMENT, EMAIL, DIGITS4, DECISION, ID, VARIANT)
FREE_TEXT = (TEXT, LONG_TEXT, COMMENT)
LENGTH_LIMITED = (NAME, TEXT, LONG_TEXT, COMMENT, EMAIL)


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]  # ("request", "cost") in the upload's document
    kind: str
    limit: int = 0  # characters for text, the largest value for an amount
    required: bool = True
    valid: str = ""  # a valid value, for an optional field a mutation has to add

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def named_as(self) -> frozenset[str]:
        """What an error about this field may call it."""
        return frozenset({self.name, ".".join(self.path), "body"} | ({"document"} if self.kind == DOCUMENT else set()))


@dataclass(frozen=True)
class Form:
    route: str
    fields: tuple[Field, ...]
    bases: st.SearchStrategy[dict[str, Any]]  # valid bodies
    query_variant: bool = False  # ?variant= (apply)
    path_id: str | None = None  # the id in the path (approve, reviews)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


FRESH = "@@ID@@"  # in an id: replaced by a number of as many digits when sent, so no two requests share an id


def _fresh_id(prefix: str) -> st.SearchStrategy[str]:
    return st.just(f"{prefix}-{FRESH}")


def _with_optional(base: st.SearchStrategy[dict], optional: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    @st.composite
    def body(draw: st.DrawFn) -> dict:
        chosen = dict(draw(base))
        for key, values in optional.items():
            if draw(st.booleans()):
                chosen[key] = draw(values)
        return chosen

    return body()


LOAN_APPLICATIONS = [case.application for case in loan_cases()]
TRAINING_DOCUMENTS = [case.request for case in training_cases()]
MANAGERS = ["Dana Lee", "Priya Shah", "José Álvarez", "Zoë O'Brien-Smith", "李小龍"]
COMMENTS = ["long-standing customer, strong file", "useful for the role", "", "Approved.\nSee the file."]

APPLY = Form(
    "POST /api/apply",
    (
        Field(("applicant_name",), NAME, MAX_TEXT_LENGTH),
        Field(("sin_last4",), DIGITS4),
        Field(("annual_income",), AMOUNT, MAX_ANNUAL_INCOME),
        Field(("loan_amount",), AMOUNT, MAX_LOAN_AMOUNT),
        Field(("loan_purpose",), TEXT, MAX_TEXT_LENGTH),
        Field(("application_id",), ID, ID_LIMIT, required=False, valid=f"fuzz-apply-{FRESH}"),
    ),
    _with_optional(st.sampled_from(LOAN_APPLICATIONS), {"application_id": _fresh_id("fuzz-apply")}),
    query_variant=True,
)
APPROVE = Form(
    "POST /api/approve/{application_id}",
    (
        Field(("approved",), FLAG),
        Field(("manager",), NAME, MAX_TEXT_LENGTH),
        Field(("comment",), COMMENT, MAX_COMMENT_LENGTH, required=False, valid="strong file"),
    ),
    _with_optional(
        st.fixed_dictionaries({"approved": st.booleans(), "manager": st.sampled_from(MANAGERS)}),
        {"comment": st.sampled_from(COMMENTS)},
    ),
    path_id="application_id",
)
REVIEW = Form(
    "POST /api/reviews/{request_id}",
    (
        Field(("decision",), DECISION),
        Field(("reviewer",), NAME, MAX_SHORT_TEXT),
        Field(("comment",), COMMENT, MAX_COMMENT_LENGTH, required=False, valid="useful for the role"),
    ),
    _with_optional(
        st.fixed_dictionaries(
            {"decision": st.sampled_from(["approve", "reject"]), "reviewer": st.sampled_from(MANAGERS)}
        ),
        {"comment": st.sampled_from(COMMENTS)},
    ),
    path_id="request_id",
)
UPLOAD = Form(
    "POST /console/api/training/requests",
    (
        Field(("request",), DOCUMENT),
        Field(("variant",), VARIANT, required=False, valid="hybrid"),
        Field(("request_id",), ID, ID_LIMIT, required=False, valid=f"fuzz-upload-{FRESH}"),
        Field(("request", "employee_id"), NAME, MAX_SHORT_TEXT),
        Field(("request", "employee_name"), NAME, MAX_SHORT_TEXT),
        Field(("request", "employee_email"), EMAIL, MAX_SHORT_TEXT),
        Field(("request", "job_role"), NAME, MAX_SHORT_TEXT),
        Field(("request", "job_description"), LONG_TEXT, MAX_LONG_TEXT),
        Field(("request", "training_title"), NAME, MAX_SHORT_TEXT),
        Field(("request", "training_description"), LONG_TEXT, MAX_LONG_TEXT),
        Field(("request", "provider"), NAME, MAX_SHORT_TEXT),
        Field(("request", "cost"), AMOUNT, MAX_COST),
    ),
    _with_optional(
        st.sampled_from(TRAINING_DOCUMENTS).map(lambda document: {"request": dict(document)}),
        {"variant": st.sampled_from(VARIANTS), "request_id": _fresh_id("fuzz-upload")},
    ),
)
FORMS = {form.route: form for form in (APPLY, APPROVE, REVIEW, UPLOAD)}

# --- the request that is sent ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadRequest:
    kind: str  # what was made wrong ("several things wrong" for more than one)
    fields: tuple[str, ...]  # where
    content: bytes
    content_type: str | None = JSON
    variant: str | None = None  # ?variant= (apply)
    path_id: str | None = None  # instead of the pending id (approve, reviews)
    named_as: tuple[frozenset[str] | None, ...] = ()  # per thing made wrong: what an error may call it (None: any)
    body_level: bool = False  # the body as a whole is broken: one error naming it is enough

    @property
    def expected_statuses(self) -> frozenset[int]:
        if self.content_type is None or self.content_type.split(";")[0].strip() != JSON:
            return frozenset({415})
        if len(self.content) > BODY_LIMIT:
            return frozenset({413})
        if self.path_id is not None:
            return frozenset({400, 404})  # an id that cannot exist: refused or not found, named either way
        return frozenset({400})

    def sent(self, number: int) -> bytes:
        """The content as sent: each fresh id numbered (as many digits as the marker, so the size stays)."""
        return self.content.replace(FRESH.encode(), f"{number % 10 ** len(FRESH):0{len(FRESH)}d}".encode())

    def describe(self, head: int = 400, tail: int = 160) -> dict[str, Any]:
        """For a report: the request, its body cut in the middle when long."""
        shown = self.content
        if len(shown) > head + tail:
            shown = shown[:head] + f"…({len(shown) - head - tail:,} bytes)…".encode() + shown[-tail:]
        return {
            "kind": self.kind,
            "fields": list(self.fields),
            "content_type": self.content_type,
            **({"variant": self.variant} if self.variant is not None else {}),
            **({"path_id": _visible(_cut(self.path_id, head))} if self.path_id is not None else {}),
            "bytes": len(self.content),
            "body": _visible(shown.decode("utf-8", errors="backslashreplace")),
        }


def _visible(text: str) -> str:
    """Control, format and surrogate characters written as escapes, so a report shows them."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") and c != " " else c
        for c in text
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…({len(text):,} characters)"


@dataclass
class _Draft:
    """A body being made wrong: the JSON value, and raw bytes to put in place of its markers."""

    body: Any
    values: dict[str, bytes] = field(default_factory=dict)  # "@@V0@@" (quoted in the JSON) → raw JSON
    inside: dict[str, bytes] = field(default_factory=dict)  # @@S0@@ inside a string → raw bytes

    def raw_value(self, raw: bytes) -> str:
        marker = f"@@V{len(self.values)}@@"
        self.values[marker] = raw
        return marker

    def raw_inside(self, raw: bytes) -> str:
        marker = f"@@S{len(self.inside)}@@"
        self.inside[marker] = raw
        return marker

    def serialize(self, ensure_ascii: bool, compact: bool) -> bytes:
        separators = (",", ":") if compact else (", ", ": ")
        text = json.dumps(self.body, ensure_ascii=ensure_ascii, separators=separators).encode()
        for marker, raw in self.values.items():
            text = text.replace(f'"{marker}"'.encode(), raw)
        for marker, raw in self.inside.items():
            text = text.replace(marker.encode(), raw)
        return text


def _get(body: dict, path: tuple[str, ...]) -> Any:
    for key in path[:-1]:
        body = body[key]
    return body.get(path[-1])


def _set(body: dict, path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value


def _drop(body: dict, path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        body = body[key]
    body.pop(path[-1], None)


def _current_text(draft: _Draft, spec: Field) -> str:
    value = _get(draft.body, spec.path)
    return value if isinstance(value, str) and value else (spec.valid or "Alice Johnson")


def _insert(draw: st.DrawFn, text: str, piece: str) -> str:
    at = draw(st.sampled_from([0, len(text) // 2, len(text)]))
    return text[:at] + piece + text[at:]


# --- values ---------------------------------------------------------------------------------------------------

small_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüßøłçñ漢字Ωж"
WHITESPACE = [" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\u2028"]
C0_C1 = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]
LINE_CONTROLS = {"\t", "\n", "\r"}
BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
LONE_SURROGATES = [rb"\ud800", rb"\udbff", rb"\udc00", rb"\udfff", rb"\udc00\ud800", rb"\ud83dx", rb"\ud83d\u0041"]
INVALID_UTF8 = [
    b"\xff",
    b"\xfe",
    b"\x80",
    b"\xc3",  # a lead byte with its continuation missing
    b"\xe2\x82",
    b"\xc0\xaf",  # overlong '/'
    b"\xe0\x80\xaf",
    b"\xed\xa0\x80",  # a surrogate encoded (CESU-8)
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xf8\x88\x80\x80\x80",
]
BAD_VALUES = {
    DIGITS4: ["12", "11111", "abcd", "１１１１", "١١١١", " 1111", "1111\n", "11 1", "-111", "1e3"],
    EMAIL: ["nobody", "a@b", "@example.com", "a@@example.com", "a b@example.com", "anna@example", "anna@.com "],
    DECISION: ["maybe", "Approve", "APPROVE", "approved", "yes", "approve ", "reject\u0000", "", "true", "rejected"],
    VARIANT: ["quantum", "", "HYBRID", "sfn ", " durable", "step-functions", "hybrid,sfn", "durable\u0000", "Ｓfn"],
}
BAD_IDS = [
    "",
    "-leading-dash",
    "_leading_underscore",
    "a.b",
    "../etc/passwd",
    "a/b",
    "a b",
    "ünïcode",
    "a\u0000b",
    "a:b",
    "id\u202e",
    "x" * (ID_LIMIT + 1),
]
CONTENT_TYPES = [
    None,
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/json",
    "application/javascript",
]


def _long_text(draw: st.DrawFn, length: int) -> str:
    """``length`` characters with no whitespace at either end (so stripping cannot shorten it)."""
    unit = draw(st.text(alphabet=LETTERS, min_size=1, max_size=12))
    text = (unit * (length // len(unit) + 1))[:length]
    return text


# --- mutations: each breaks one field (or the request) and says what an error may name ------------------------


@dataclass(frozen=True)
class FieldMutation:
    kind: str
    applies: Callable[[Form, Field], bool]
    apply: Callable[[st.DrawFn, Form, Field, _Draft], None]
    body_level: bool = False


def _wrong_type(draw, form, spec, draft):
    values = small_json.filter(lambda v: not isinstance(v, str))
    if spec.kind == AMOUNT:
        values = small_json.filter(lambda v: not isinstance(v, (int, float)) or isinstance(v, bool)) | st.just("150000")
    elif spec.kind == FLAG:
        values = small_json.filter(lambda v: not isinstance(v, bool)) | st.sampled_from(["true", 1, 0, "false"])
    elif spec.kind == DOCUMENT:
        values = small_json.filter(lambda v: not isinstance(v, dict))
    elif spec.kind == DIGITS4:
        values = values | st.just(1111)
    if not spec.required:  # null for an optional field may fairly read as "not given"
        values = values.filter(lambda v: v is not None)
    _set(draft.body, spec.path, draw(values))


def _boolean_for_number(draw, form, spec, draft):
    _set(draft.body, spec.path, draw(st.booleans()))


def _missing(draw, form, spec, draft):
    _drop(draft.body, spec.path)


def _blank(draw, form, spec, draft):
    _set(draft.body, spec.path, draw(st.lists(st.sampled_from(WHITESPACE), max_size=20).map("".join)))


def _too_long(draw, form, spec, draft):
    length = draw(
        st.one_of(
            st.integers(spec.limit + 1, spec.limit + 40),
            st.integers(spec.limit + 41, 20 * spec.limit),
            st.integers(BODY_LIMIT, 3 * BODY_LIMIT),  # then the body is over 64 KiB too
        )
    )
    text = _long_text(draw, length)
    if spec.kind == EMAIL:
        text = text[: max(length - 12, 1)] + "@example.com"
    _set(draft.body, spec.path, text)


def _lone_surrogate(draw, form, spec, draft):
    piece = draft.raw_inside(draw(st.sampled_from(LONE_SURROGATES)))
    _set(draft.body, spec.path, _insert(draw, _current_text(draft, spec), piece))


def _invalid_utf8(draw, form, spec, draft):
    piece = draft.raw_inside(draw(st.sampled_from(INVALID_UTF8)))
    _set(draft.body, spec.path, _insert(draw, _current_text(draft, spec), piece))


def _control_character(allowed: set[str]):
    def apply(draw, form, spec, draft):
        character = draw(st.sampled_from([c for c in C0_C1 if c not in allowed]))
        if character < " " and draw(st.integers(0, 3)) == 0:  # written raw, unescaped: not even valid JSON
            character = draft.raw_inside(character.encode())
        _set(draft.body, spec.path, _insert(draw, _current_text(draft, spec), character))

    return apply


def _bidi(draw, form, spec, draft):
    _set(draft.body, spec.path, _insert(draw, _current_text(draft, spec), draw(st.sampled_from(BIDI))))


def _too_many_digits(draw, form, spec, draft):
    digits = draw(st.one_of(st.just(5_000), st.integers(33, 60), st.integers(61, 30_000)))
    number = "1" + "0" * (digits - 2) + "1"  # the last digit is not 0: as a decimal, more than 2 places too
    number = draw(st.sampled_from([number, "-" + number, number[:10] + "." + number[10:], "0." + number]))
    _set(draft.body, spec.path, draft.raw_value(number.encode()))


def _negative(draw, form, spec, draft):
    value = draw(st.one_of(st.integers(1, spec.limit), st.decimals(min_value="0.01", max_value=spec.limit, places=2)))
    _set(draft.body, spec.path, draft.raw_value(f"-{value}".encode()))


def _zero(draw, form, spec, draft):
    _set(draft.body, spec.path, draft.raw_value(draw(st.sampled_from([b"0", b"0.0", b"-0", b"-0.0", b"0e5", b"0.00"]))))


def _above_maximum(draw, form, spec, draft):
    written = draw(
        st.one_of(
            st.just(f"{spec.limit}.01"),
            st.integers(spec.limit + 1, 1_000 * spec.limit).map(str),
            st.sampled_from(["1e400", "1.7976931348623157e308", f"{spec.limit}1", "1E20"]),
        )
    )
    _set(draft.body, spec.path, draft.raw_value(written.encode()))


def _too_many_decimals(draw, form, spec, draft):
    whole = draw(st.integers(1, spec.limit - 1))
    decimals = draw(st.integers(3, 6))
    digits = draw(st.text(alphabet="0123456789", min_size=decimals - 1, max_size=decimals - 1)) + "5"
    _set(draft.body, spec.path, draft.raw_value(f"{whole}.{digits}".encode()))


def _decimals_beyond_float(draw, form, spec, draft):
    """More than 2 decimals, too few to survive a float: 720.0000000000000001 reads as 720.0."""
    whole = draw(st.integers(1, spec.limit - 1))
    zeros = draw(st.integers(14, 24))
    _set(draft.body, spec.path, draft.raw_value(f"{whole}.{'0' * zeros}1".encode()))


def _not_a_number(draw, form, spec, draft):
    _set(draft.body, spec.path, draft.raw_value(draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]))))


def _deep_value(draw, form, spec, draft):
    depth = draw(st.one_of(st.just(NESTING_LIMIT + 1), st.integers(22, 200), st.integers(201, 30_000)))
    opening, closing = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    size = depth * (len(opening) + len(closing))
    if size > BODY_LIMIT:  # kept under the size limit: this is about depth (the 100,000 case is separate)
        depth = BODY_LIMIT // (len(opening) + len(closing)) - 200
    _set(draft.body, spec.path, draft.raw_value(opening * depth + b"1" + closing * depth))


def _bad_value(draw, form, spec, draft):
    _set(draft.body, spec.path, draw(st.sampled_from(BAD_VALUES[spec.kind])))


def _bad_id(draw, form, spec, draft):
    _set(draft.body, spec.path, draw(st.sampled_from(BAD_IDS) | st.integers(ID_LIMIT + 1, 300).map(lambda n: "a" * n)))


def _kind_in(*kinds: str) -> Callable[[Form, Field], bool]:
    return lambda form, spec: spec.kind in kinds


def _number_field(form: Form, spec: Field) -> bool:
    """An amount; on a form without one, any field (a 5,000-digit integer or NaN breaks a parser anywhere)."""
    return spec.kind == AMOUNT or (not any(f.kind == AMOUNT for f in form.fields) and spec.kind != DOCUMENT)


FIELD_MUTATIONS = [
    FieldMutation("wrong JSON type", lambda form, spec: True, _wrong_type),
    FieldMutation("missing required field", lambda form, spec: spec.required, _missing),
    FieldMutation("empty or whitespace text", _kind_in(NAME, TEXT, LONG_TEXT, EMAIL), _blank),
    FieldMutation("text over the length limit", _kind_in(*LENGTH_LIMITED), _too_long),
    FieldMutation("lone surrogate escape", _kind_in(*STRINGS), _lone_surrogate),
    FieldMutation("invalid UTF-8 bytes", _kind_in(*STRINGS), _invalid_utf8, body_level=True),
    FieldMutation("control character in a name", _kind_in(NAME), _control_character(set())),
    FieldMutation("control character in free text", _kind_in(*FREE_TEXT, EMAIL), _control_character(LINE_CONTROLS)),
    FieldMutation("bidirectional control in a name", _kind_in(NAME), _bidi),
    FieldMutation("number with too many digits", _number_field, _too_many_digits),
    FieldMutation("NaN or Infinity", _number_field, _not_a_number),
    FieldMutation("negative number", _kind_in(AMOUNT), _negative),
    FieldMutation("zero", _kind_in(AMOUNT), _zero),
    FieldMutation("number above the maximum", _kind_in(AMOUNT), _above_maximum),
    FieldMutation("more than 2 decimals", _kind_in(AMOUNT), _too_many_decimals),
    FieldMutation("more than 2 decimals (beyond a float's precision)", _kind_in(AMOUNT), _decimals_beyond_float),
    FieldMutation("boolean for a number", _kind_in(AMOUNT), _boolean_for_number),
    FieldMutation("nested deeper than 20", lambda form, spec: True, _deep_value, body_level=True),
    FieldMutation("value outside its set", _kind_in(DIGITS4, EMAIL, DECISION), _bad_value),
    FieldMutation("bad variant", _kind_in(VARIANT), _bad_value),
    FieldMutation("bad id", _kind_in(ID), _bad_id),
]

UNKNOWN_FIELD_NAMES = st.one_of(
    st.sampled_from(["admin", "__proto__", "constructor", "Approved", "applicantName", "loan_amount ", "status"]),
    st.text(min_size=1, max_size=30),
)


def _unknown_field(draw: st.DrawFn, form: Form, draft: _Draft) -> str:
    levels = sorted({spec.path[:-1] for spec in form.fields})
    level = draw(st.sampled_from(levels))
    known = {spec.name for spec in form.fields if spec.path[:-1] == level}
    name = draw(UNKNOWN_FIELD_NAMES.filter(lambda key: key not in known and "@@" not in key))
    _set(draft.body, (*level, name), draw(small_json))
    return name


def _usable(form: Form, mutation: FieldMutation) -> list[Field]:
    return [spec for spec in form.fields if mutation.applies(form, spec)]


@st.composite
def _field_mutations(draw: st.DrawFn, form: Form, count: int) -> BadRequest:
    draft = _Draft(json.loads(json.dumps(draw(form.bases))))
    done: list[tuple[str, str, frozenset[str] | None, bool]] = []  # kind, field, named as, body level
    touched: set[str] = set()
    for _ in range(count):
        mutation = draw(st.sampled_from([m for m in FIELD_MUTATIONS if _usable(form, m)] + ["unknown field"]))
        if mutation == "unknown field":
            name = _unknown_field(draw, form, draft)
            done.append(("unknown field", name, frozenset({name, "body"}), False))
            continue
        choices = [s for s in _usable(form, mutation) if s.name not in touched]
        if count > 1:  # a broken document makes its own fields moot
            choices = [s for s in choices if s.kind != DOCUMENT]
        if not choices:
            continue
        spec = draw(st.sampled_from(choices))
        if spec.path[:-1] and not isinstance(_get(draft.body, spec.path[:1]), dict):
            continue
        touched.add(spec.name)
        mutation.apply(draw, form, spec, draft)
        named = None if (spec.kind == DOCUMENT and mutation.kind == "missing required field") else spec.named_as
        done.append((mutation.kind, spec.name, named, mutation.body_level))
    assume(done)
    content = draft.serialize(ensure_ascii=draw(st.booleans()), compact=draw(st.booleans()))
    return BadRequest(
        kind=done[0][0] if len(done) == 1 else "several things wrong",
        fields=tuple(f for _, f, _, _ in done),
        content=content,
        variant=draw(st.sampled_from(VARIANTS)) if form.query_variant else None,
        named_as=tuple(named for _, _, named, _ in done),
        body_level=any(level for *_, level in done),
    )


def _valid(draw: st.DrawFn, form: Form) -> bytes:
    return json.dumps(draw(form.bases)).encode()


def _parses(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


@st.composite
def _request_mutation(draw: st.DrawFn, form: Form) -> BadRequest:
    """What breaks the request as a whole; only one at a time."""
    kinds = ["not JSON", "not an object", "nested deeper than 20 (whole body)", "nested 100,000 deep"]
    kinds += ["body over 64 KiB", "not application/json"]
    kinds += ["bad variant"] if form.query_variant else []
    kinds += ["bad id"] if form.path_id else []
    kind = draw(st.sampled_from(kinds))
    body_named = (frozenset({"body", "document"}),)
    variant = draw(st.sampled_from(VARIANTS)) if form.query_variant else None
    if kind == "not JSON":
        valid = _valid(draw, form)
        content = draw(
            st.one_of(
                st.sampled_from([b"", b"{", b"}", b"{nope", b"{'applicant_name': 'x'}", b"<xml/>", b"a=1&b=2"]),
                st.integers(1, len(valid) - 1).map(lambda cut: valid[:cut]),
                st.sampled_from([valid + b",", valid[:-1] + b",}", valid + b"{}", b"// c\n" + valid, valid + b"\x00"]),
                st.text(max_size=40).map(str.encode),
                st.binary(max_size=40),
            )
        )
        assume(not _parses(content))
        return BadRequest(kind, ("body",), content, variant=variant, named_as=body_named, body_level=True)
    if kind == "not an object":
        base = draw(form.bases)
        value = draw(
            st.one_of(
                st.just(list(base.values())),
                st.just([base]),
                st.sampled_from(["Alice Johnson", 150000, 0, -1.5, True, False, None, [], ""]),
                small_json.filter(lambda v: not isinstance(v, dict)),
            )
        )
        return BadRequest(
            kind, ("body",), json.dumps(value).encode(), variant=variant, named_as=body_named, body_level=True
        )
    if kind == "nested deeper than 20 (whole body)":
        depth = draw(st.one_of(st.just(NESTING_LIMIT), st.integers(21, 500), st.integers(501, 25_000)))
        opening, closing = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        depth = min(depth, (BODY_LIMIT - 2_000) // (len(opening) + len(closing)))
        content = opening * depth + _valid(draw, form) + closing * depth
        return BadRequest(kind, ("body",), content, variant=variant, named_as=body_named, body_level=True)
    if kind == "nested 100,000 deep":
        content = draw(st.sampled_from([b"[" * 100_000 + b"]" * 100_000, b"[" * 100_000, b'{"a":' * 100_000]))
        return BadRequest(kind, ("body",), content, variant=variant, named_as=body_named, body_level=True)
    if kind == "body over 64 KiB":
        valid = _valid(draw, form)
        size = draw(st.one_of(st.just(BODY_LIMIT + 1), st.integers(BODY_LIMIT + 2, 4 * BODY_LIMIT)))
        padding = draw(st.sampled_from([b" ", b"\n", b"\t", b"\r\n"]))
        pad = (padding * size)[: size - len(valid)]
        content = draw(st.sampled_from([valid + pad, pad + valid]))
        return BadRequest(kind, ("body",), content, variant=variant, named_as=body_named, body_level=True)
    if kind == "not application/json":
        content_type = draw(st.sampled_from(CONTENT_TYPES))
        return BadRequest(kind, ("content-type",), _valid(draw, form), content_type, variant=variant, named_as=(None,))
    if kind == "bad variant":  # ?variant= on apply
        bad = draw(st.sampled_from(BAD_VALUES[VARIANT]) | st.text(min_size=1, max_size=20))
        assume(bad not in VARIANTS)
        named = (frozenset({"variant"}),)
        return BadRequest(kind, ("variant",), _valid(draw, form), variant=bad, named_as=named)
    # a bad id in the path: one the route still matches (no '/', '?' or '#'), that no workflow could have
    path_id = draw(
        st.one_of(
            st.sampled_from(["-leading-dash", "a.b", "a b", "ünïcode", "a:b", "%00", "a!b", "id\u202e", "a..b", "~"]),
            st.integers(ID_LIMIT + 1, 300).map(lambda n: "a" * n),
        )
    )
    named = (frozenset({form.path_id, "id", "path"}),)
    return BadRequest(kind, (form.path_id,), _valid(draw, form), path_id=path_id, named_as=named)


def bad_requests(form: Form) -> st.SearchStrategy[BadRequest]:
    """A valid body with one field made wrong (about 60%), the request as a whole broken (about 30%), or two to
    four fields made wrong at once (about 10%)."""
    one_field = _field_mutations(form, 1)
    several = st.integers(2, 4).flatmap(lambda count: _field_mutations(form, count))
    return st.sampled_from([one_field] * 6 + [_request_mutation(form)] * 3 + [several]).flatmap(lambda pick: pick)
