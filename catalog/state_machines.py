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
from typing import Any

from catalog.specs import ResourceRef
from domain.loan import rules
from domain.training import rules as training_rules

STATEMACHINES_DIR = Path(__file__).resolve().parent.parent / "statemachines"

Value = str | int | ResourceRef


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

    def definition(self, resolve: Callable[[ResourceRef], str]) -> str:
        values = {
            key: resolve(value) if isinstance(value, ResourceRef) else value for key, value in self.placeholders.items()
        }
        return asl_with_placeholders(self.path.read_text(), values)


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
    "ManagerApprovalThreshold": rules.MANAGER_APPROVAL_THRESHOLD,
    "ManagerApprovalTimeoutSeconds": rules.MANAGER_APPROVAL_TIMEOUT_SECONDS,
    "NoManagerDecisionReason": rules.NO_MANAGER_DECISION_REASON,
}

LOAN_HYBRID = StateMachineSpec(
    name="loan-hybrid",
    scenario="loan",
    variant="hybrid",
    asl_file="loan.asl.json",
    description="Loan approval: ASL macro flow, durable credit-and-fraud assessment",
    placeholders={
        **LOAN_MACRO_FLOW,
        "AssessmentFunctionArn": _function("loan-assessment"),
        "AssessmentTimeoutSeconds": rules.ASSESSMENT_TIMEOUT_SECONDS,
    },
)

LOAN_SFN = StateMachineSpec(
    name="loan-sfn",
    scenario="loan",
    variant="sfn",
    asl_file="loan-sfn.asl.json",
    description="Loan approval: the whole process in ASL, every business step a plain Lambda task",
    placeholders={
        **LOAN_MACRO_FLOW,
        "CreditBureauFunctionArn": _function("loan-credit-report"),
        "CreditScoringFunctionArn": _function("loan-credit-scoring"),
        "FraudRequestFunctionArn": _function("loan-fraud-request"),
        "FraudDecisionFunctionArn": _function("loan-fraud-decision"),
        "FraudCheckTimeoutSeconds": rules.FRAUD_CHECK_TIMEOUT_SECONDS,
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
    "ReviewMinScore": training_rules.REVIEW_MIN_SCORE,
    "ApproveMinScore": training_rules.APPROVE_MIN_SCORE,
    "ApproveAboveScore": training_rules.APPROVE_MIN_SCORE - 1,
    "HrReviewTimeoutSeconds": training_rules.HR_REVIEW_TIMEOUT_SECONDS,
    "NoHrDecisionReason": training_rules.NO_HR_DECISION_REASON,
}

TRAINING_HYBRID = StateMachineSpec(
    name="training-hybrid",
    scenario="training",
    variant="hybrid",
    asl_file="training.asl.json",
    description="Training request: ASL macro flow, durable AI screening and enrollment saga",
    placeholders={
        **TRAINING_MACRO_FLOW,
        "ScreeningFunctionArn": _function("training-screening"),
        "ScreeningTimeoutSeconds": training_rules.SCREENING_TIMEOUT_SECONDS,
        "EnrollmentFunctionArn": _function("training-enrollment"),
        "EnrollmentTimeoutSeconds": training_rules.ENROLLMENT_TIMEOUT_SECONDS,
    },
)

TRAINING_SFN = StateMachineSpec(
    name="training-sfn",
    scenario="training",
    variant="sfn",
    asl_file="training-sfn.asl.json",
    description="Training request: the whole process in ASL, the saga's compensations as Catch paths",
    placeholders={
        **TRAINING_MACRO_FLOW,
        "ScreeningFunctionArn": _function("training-screen-request"),
        "SagaStepFunctionArn": _function("training-saga-step"),
        "SagaCompensationFunctionArn": _function("training-saga-compensation"),
    },
)

# Deployed with STATE_MACHINES (duoflow/stack.py). A list of its own because the loan's tests of
# STATE_MACHINES check every function against the loan's test doubles.
TRAINING_STATE_MACHINES: list[StateMachineSpec] = [TRAINING_HYBRID, TRAINING_SFN]


def asl_with_placeholders(text: str, values: Mapping[str, Any]) -> str:
    """Fill ``${Name}`` placeholders in an ASL document; every placeholder must have a value."""
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if missing:
        raise KeyError(f"ASL placeholders without a value: {', '.join(missing)}")
    return re.sub(r"\$\{(\w+)\}", lambda match: str(values[match.group(1)]), text)
