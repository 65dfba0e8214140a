"""The state machines: which ASL file, and what fills each ${Placeholder}.

Thresholds and timeouts come from the same domain constants the Python code uses, so the ASL a compliance
reviewer reads cannot drift from the rules (tests/statemachines checks it). Resource placeholders are
ResourceRefs, resolved to the local runtime's resources or to the CDK constructs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from catalog.specs import ResourceRef
from domain.loan import rules
from domain.training import rules as training_rules

STATEMACHINES_DIR = Path(__file__).resolve().parent.parent / "statemachines"


@dataclass(frozen=True)
class DomainConstant:
    """A placeholder's value and the domain constant it is read from, so a reader of the ASL (``duoflow explain``,
    the ASL review) can name the rule beside the number. ``str()`` is the text that fills the placeholder."""

    value: int | str
    source: str  # the rules module, as a path: "domain/loan/rules.py"
    expression: str  # the constant, or the expression over it: "APPROVE_MIN_SCORE - 1"
    unit: str = ""  # "dollars", "seconds", "points" or "" (text, a reason)

    def __str__(self) -> str:
        return str(self.value)

    @property
    def cited(self) -> str:
        """Where the value comes from, as a reviewer looks it up: "domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD"."""
        return f"{self.source} {self.expression}"


def _constant(module: ModuleType, name: str, unit: str = "", minus: int = 0) -> DomainConstant:
    """The constant ``name`` of a domain rules module (less ``minus``): read by name, so the value and the name
    a reviewer is shown cannot disagree."""
    value = getattr(module, name)
    source = module.__name__.replace(".", "/") + ".py"
    if minus:
        return DomainConstant(value - minus, source, f"{name} - {minus}", unit)
    return DomainConstant(value, source, name, unit)


Value = str | int | ResourceRef | DomainConstant


@dataclass(frozen=True)
class StateMachineSpec:
    name: str
    scenario: str
    variant: str
    asl_file: str
    description: str
    placeholders: Mapping[str, Value]

    @property
    def path(self) -> Path:
        return STATEMACHINES_DIR / self.asl_file

    @property
    def constants(self) -> dict[str, DomainConstant]:
        """The placeholders filled from a domain constant (thresholds, timeouts, reasons), by placeholder name."""
        return {key: value for key, value in self.placeholders.items() if isinstance(value, DomainConstant)}

    def definition(self, resolve: Callable[[ResourceRef], str]) -> str:
        values = {
            key: resolve(value) if isinstance(value, ResourceRef) else value for key, value in self.placeholders.items()
        }
        return asl_with_placeholders(self.path.read_text(), values)


def log_context(variant: str) -> str:
    """What fills ``${LogContext}``: the ``ClientContext`` of every Lambda task, so the function's log lines name the
    Step Functions execution and the variant that called it (services/common/log.py) without touching the payload
    the function validates. Lambda hands it to the handler as ``context.client_context.custom``."""
    custom = f"{{'custom': {{'sfn_execution_arn': $states.context.Execution.Id, 'variant': '{variant}'}}}}"
    return f"{{% $base64encode($string({custom})) %}}"


def _function(name: str) -> ResourceRef:
    return ResourceRef("function", name, "arn")


# The loan's macro flow (intake, manager approval, offer, disbursement, notification, audit trail) is the same
# states in both state machines, so it takes the same values.
LOAN_MACRO_FLOW = {
    "IntakeFunctionArn": _function("loan-intake"),
    "ManagerApprovalFunctionArn": _function("loan-manager-approval"),
    "OfferFunctionArn": _function("loan-offer"),
    "DisbursementFunctionArn": _function("loan-disbursement"),
    "ProgressTableName": ResourceRef("table", "loan-progress"),
    "ApplicantTopicArn": ResourceRef("topic", "applicant-notifications", "arn"),
    "ManagerApprovalThreshold": _constant(rules, "MANAGER_APPROVAL_THRESHOLD", "dollars"),
    "ManagerApprovalTimeoutSeconds": _constant(rules, "MANAGER_APPROVAL_TIMEOUT_SECONDS", "seconds"),
    "NoManagerDecisionReason": _constant(rules, "NO_MANAGER_DECISION_REASON"),
}

LOAN_HYBRID = StateMachineSpec(
    name="loan-hybrid",
    scenario="loan",
    variant="hybrid",
    asl_file="loan.asl.json",
    description="Loan approval: ASL macro flow, durable credit-and-fraud assessment",
    placeholders={
        "LogContext": log_context("hybrid"),
        **LOAN_MACRO_FLOW,
        "AssessmentFunctionArn": _function("loan-assessment"),
        "AssessmentTimeoutSeconds": _constant(rules, "ASSESSMENT_TIMEOUT_SECONDS", "seconds"),
    },
)

LOAN_SFN = StateMachineSpec(
    name="loan-sfn",
    scenario="loan",
    variant="sfn",
    asl_file="loan-sfn.asl.json",
    description="Loan approval: the whole process in ASL, every business step a plain Lambda task",
    placeholders={
        "LogContext": log_context("sfn"),
        **LOAN_MACRO_FLOW,
        "CreditBureauFunctionArn": _function("loan-credit-report"),
        "CreditScoringFunctionArn": _function("loan-credit-scoring"),
        "FraudRequestFunctionArn": _function("loan-fraud-request"),
        "FraudDecisionFunctionArn": _function("loan-fraud-decision"),
        "FraudCheckTimeoutSeconds": _constant(rules, "FRAUD_CHECK_TIMEOUT_SECONDS", "seconds"),
    },
)

STATE_MACHINES: list[StateMachineSpec] = [LOAN_HYBRID, LOAN_SFN]


# --- training request -----------------------------------------------------------------------------------------

# The training's macro flow (intake, routing on the score, HR review, result, notification, audit trail) is the
# same states in both state machines, so it takes the same values.
TRAINING_MACRO_FLOW = {
    "IntakeFunctionArn": _function("training-intake"),
    "HrReviewFunctionArn": _function("training-hr-review"),
    "ResultFunctionArn": _function("training-result"),
    "TrainingTableName": ResourceRef("table", "training-progress"),
    "EmployeeTopicArn": ResourceRef("topic", "employee-notifications", "arn"),
    "ReviewMinScore": _constant(training_rules, "REVIEW_MIN_SCORE", "points"),
    "ApproveMinScore": _constant(training_rules, "APPROVE_MIN_SCORE", "points"),
    "ApproveAboveScore": _constant(training_rules, "APPROVE_MIN_SCORE", "points", minus=1),
    "HrReviewTimeoutSeconds": _constant(training_rules, "HR_REVIEW_TIMEOUT_SECONDS", "seconds"),
    "NoHrDecisionReason": _constant(training_rules, "NO_HR_DECISION_REASON"),
}

TRAINING_HYBRID = StateMachineSpec(
    name="training-hybrid",
    scenario="training",
    variant="hybrid",
    asl_file="training.asl.json",
    description="Training request: ASL macro flow, durable AI screening and enrollment saga",
    placeholders={
        "LogContext": log_context("hybrid"),
        **TRAINING_MACRO_FLOW,
        "ScreeningFunctionArn": _function("training-screening"),
        "ScreeningTimeoutSeconds": _constant(training_rules, "SCREENING_TIMEOUT_SECONDS", "seconds"),
        "EnrollmentFunctionArn": _function("training-enrollment"),
        "EnrollmentTimeoutSeconds": _constant(training_rules, "ENROLLMENT_TIMEOUT_SECONDS", "seconds"),
    },
)

TRAINING_SFN = StateMachineSpec(
    name="training-sfn",
    scenario="training",
    variant="sfn",
    asl_file="training-sfn.asl.json",
    description="Training request: the whole process in ASL, the saga's compensations as Catch paths",
    placeholders={
        "LogContext": log_context("sfn"),
        **TRAINING_MACRO_FLOW,
        "ScreeningFunctionArn": _function("training-screen-request"),
        "SagaStepFunctionArn": _function("training-saga-step"),
        "SagaCompensationFunctionArn": _function("training-saga-compensation"),
    },
)

# Deployed with STATE_MACHINES (duoflow/stack.py). A list of its own because the loan's tests of
# STATE_MACHINES check every function against the loan's test doubles.
TRAINING_STATE_MACHINES: list[StateMachineSpec] = [TRAINING_HYBRID, TRAINING_SFN]


def spec_for_file(path: Path | str) -> StateMachineSpec | None:
    """The state machine an ASL file belongs to (by file name), or None."""
    name = Path(path).name
    return next((spec for spec in [*STATE_MACHINES, *TRAINING_STATE_MACHINES] if spec.asl_file == name), None)


def asl_with_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """Fill ``${Name}`` placeholders in an ASL document; every placeholder must have a value."""
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if missing:
        raise KeyError(f"ASL placeholders without a value: {', '.join(missing)}")
    return re.sub(r"\$\{(\w+)\}", lambda match: str(values[match.group(1)]), text)
