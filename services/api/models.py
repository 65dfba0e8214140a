"""The HTTP API's request and response bodies as pydantic models: what ``GET /openapi.json`` shows a reader.

They describe; they do not decide. Every request is still read and refused by the rules in ``domain/``
(``validation.py``, ``loan/validation.py``, ``training/validation.py``), whose 400 names each field and rule so
a person can fix the form in one go. The models restate those rules with the same constants (``MAX_NAME_LENGTH``,
``MAX_LOAN_AMOUNT``, ``ID_PATTERN``, ``SIN_LAST4``, ...), so a limit changed in ``domain/`` changes the schema too,
and reuse the domain's own shapes where an answer carries them (``LoanOffer``, ``FieldError``, the log's
``ProgressEntry``). tests/api/test_openapi.py checks both ways: every field a rule names is in the schema, the
schema names no field the rules do not check, and real answers fit these models.

What JSON Schema cannot say exactly is said in the field's description: text is trimmed before its length is
counted, names are one line without control or bidirectional-override characters, numbers are at most 32
characters as written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.loan.models import Decision, LoanOffer, RiskTierName
from domain.loan.validation import MAX_ANNUAL_INCOME, MAX_LOAN_AMOUNT, MAX_TEXT_LENGTH, SIN_LAST4
from domain.training.validation import HR_DECISIONS
from domain.validation import (
    ID_PATTERN,
    ID_RULE,
    MAX_BODY_BYTES,
    MAX_COMMENT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NESTING,
    MAX_NUMBER_CHARACTERS,
    FieldError,
)
from services.common.progress import ProgressEntry
from services.common.variants import VARIANTS

NOT_BLANK = r"\S"  # JSON Schema patterns search: at least one character that is not white space
ID_SCHEMA_PATTERN = f"^{ID_PATTERN.pattern}$"
BODY_RULES = (
    f"A JSON object of at most {MAX_BODY_BYTES:,} bytes (64 KiB; 413 above), UTF-8, nested at most {MAX_NESTING} "
    f"deep, numbers of at most {MAX_NUMBER_CHARACTERS} characters (no NaN or Infinity), no fields but these. "
    "A body that breaks a rule is answered 400, naming each field and rule."
)
_TRIMMED = "Trimmed before it is checked: must not be blank, at most {limit:,} characters."
_ONE_LINE = "One line: no control, line-separator or bidirectional-override characters."
_FREE_TEXT = "Tab and line breaks allowed; no other control or bidirectional-override characters."


def name_text(limit: int = MAX_NAME_LENGTH, what: str = "") -> Any:
    """A person's name, a title: one line of text."""
    description = " ".join(part for part in (what, _ONE_LINE, _TRIMMED.format(limit=limit)) if part)
    return Annotated[str, Field(min_length=1, max_length=limit, pattern=NOT_BLANK, description=description)]


def free_text(limit: int, what: str = "") -> Any:
    description = " ".join(part for part in (what, _FREE_TEXT, _TRIMMED.format(limit=limit)) if part)
    return Annotated[str, Field(min_length=1, max_length=limit, pattern=NOT_BLANK, description=description)]


def money(limit: int, what: str) -> Any:
    """An amount of dollars: above 0, at most ``limit``, in cents."""
    description = f"{what}: dollars, above 0 and at most {limit:,}, at most 2 decimal places."
    return Annotated[float, Field(gt=0, le=limit, multiple_of=0.01, description=description)]


Id = Annotated[str, Field(pattern=ID_SCHEMA_PATTERN, description=ID_RULE)]
Comment = Annotated[
    str,
    Field(
        max_length=MAX_COMMENT_LENGTH,
        description=f"Optional; blank means none. {_FREE_TEXT} At most {MAX_COMMENT_LENGTH:,} characters, trimmed.",
    ),
]
Variant = Literal[VARIANTS]  # type: ignore[valid-type]  # hybrid, sfn, durable: services/common/variants.py
HrDecisionWord = Literal[tuple(HR_DECISIONS)]  # type: ignore[valid-type]  # approve, reject
ApplicantName = name_text(MAX_TEXT_LENGTH, "The applicant's full name.")
SinLast4 = Annotated[
    str, Field(pattern=f"^{SIN_LAST4.pattern}$", description="The last 4 digits of the applicant's SIN, as text.")
]
AnnualIncome = money(MAX_ANNUAL_INCOME, "The applicant's annual income")
LoanAmount = money(MAX_LOAN_AMOUNT, "The amount asked for")
LoanPurpose = free_text(MAX_TEXT_LENGTH, "What the loan is for.")
ManagerName = name_text(MAX_NAME_LENGTH, "The manager deciding.")
ReviewerName = name_text(MAX_NAME_LENGTH, "The HR reviewer deciding.")


# What "Try it out" starts from: the demo cases' own (scenarios/loan/alice.json, scenarios/training/
# marketing-specialist.json; tests/unit/test_openapi_schema.py checks they are the same).
EXAMPLES: dict[str, dict[str, Any]] = {
    "application": {
        "applicant_name": "Alice Johnson",
        "sin_last4": "1111",
        "annual_income": 180000,
        "loan_amount": 150000,
        "loan_purpose": "home renovation",
    },
    "manager": {"approved": True, "manager": "Dana Lee", "comment": "long-standing customer, strong file"},
    "hr": {
        "decision": "approve",
        "reviewer": "Priya Shah",
        "comment": "campaign reporting is part of the role; approved with a plan to use it on the Q3 campaigns",
    },
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- request bodies ------------------------------------------------------------------------------------------


class LoanApplicationBody(Body):
    """A loan application (domain/loan/validation.py ``validate_application``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLES["application"]]})

    applicant_name: ApplicantName
    sin_last4: SinLast4
    annual_income: AnnualIncome
    loan_amount: LoanAmount
    loan_purpose: LoanPurpose
    application_id: Id | None = Field(
        None,
        description=f"Names the workflow; one application, one workflow. {ID_RULE}. Absent or null: a new id.",
    )


class ManagerDecisionBody(Body):
    """A manager's decision on a loan waiting for one (domain/loan/validation.py ``validate_manager_decision``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLES["manager"]]})

    approved: bool = Field(description="true approves the loan, false denies it.")
    manager: ManagerName
    comment: Comment = ""


class HrReviewBody(Body):
    """An HR reviewer's decision on a training request (domain/training/validation.py ``validate_hr_review``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLES["hr"]]})

    decision: HrDecisionWord = Field(description="approve or reject.")
    reviewer: ReviewerName
    comment: Comment = ""


# --- answers -------------------------------------------------------------------------------------------------


class InvalidRequest(Body):
    """400: every rule the request breaks, each naming its field (a body field, ``body`` for the whole body, a
    path id, ``variant``, ``Idempotency-Key``); 413 when the body is over 64 KiB; 422 when an Idempotency-Key is
    reused for another request."""

    message: str = Field(description='"invalid request", "request too large", or what to do (422).')
    errors: list[FieldError]


class Message(Body):
    """401 (no token), 403 (the token lacks the route's role), 409 (the decision is no longer pending)."""

    message: str


class NotFound(Body):
    statusCode: Literal[404]  # noqa: N815  (the resolver's own 404 body)
    message: str


class InternalError(Body):
    """500: something the server did not expect; its log has the details under ``request_id``."""

    message: str
    request_id: str


class LoanWorkflow(Body):
    """202: the workflow started for the application; 200: the one it already had (with ``message``)."""

    application_id: Id
    variant: Variant
    execution_arn: str | None = Field(None, description="The Step Functions execution (hybrid, sfn).")
    durable_execution_arn: str | None = Field(None, description="The durable execution (durable).")
    message: str | None = Field(None, description="200 only: the application was submitted before.")


class ApplicationTaken(Body):
    """409: the application id belongs to another variant's workflow or another application."""

    application_id: Id
    message: str
    variant: Variant
    execution_arn: str | None = None


class LoanStatus(Body):
    """A loan application's status, outcome and progress log (oldest first)."""

    application_id: Id
    entry: Literal["STATUS"] = Field(description="The progress table's item this status is read from.")
    status: Literal["processing", "awaiting manager approval", "failed"] | Decision
    updated_at: str = Field(description="ISO 8601, UTC.")
    applicant_name: str | None = None
    loan_amount: float | None = None
    outcome: Decision | None = None
    reason: str | None = None
    offer: LoanOffer | None
    disbursement_reference: str | None
    awaiting_manager: bool
    log: list[ProgressEntry]


class PendingApproval(Body):
    application_id: Id
    applicant_name: str
    loan_amount: float
    risk_tier: RiskTierName
    average_score: int
    requested_at: str = Field(description="ISO 8601, UTC.")


class PendingApprovals(Body):
    """Loan applications waiting for a manager."""

    approvals: list[PendingApproval]


class ManagerDecisionAnswer(Body):
    application_id: Id
    approved: bool


class PendingReview(Body):
    request_id: Id
    employee_name: str
    job_role: str
    training_title: str
    provider: str
    cost: float
    score: int = Field(ge=0, le=100, description="How well the training matches the role (the screening model).")
    rationale: str = Field(description="The screening model's reasons for the score.")
    requested_at: str = Field(description="ISO 8601, UTC.")


class PendingReviews(Body):
    """Training requests waiting for HR: the ones the screening model scored in the review band."""

    reviews: list[PendingReview]


class HrReviewAnswer(Body):
    request_id: Id
    decision: HrDecisionWord
    reason: str
