"""The state machines: which ASL file, and what fills each ${Placeholder}.

Thresholds and timeouts come from the same domain constants the Python code uses, so the ASL a compliance
reviewer reads cannot drift from the rules (tests/statemachines checks it). Resource placeholders are
ResourceRefs, resolved to the local runtime's resources or to the CDK constructs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from domain.loan import rules
from duoflow.runtime.functions import ResourceRef

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
        from duoflow.runtime import asl_with_placeholders

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
        "CreditBureauFunctionArn": _function("loan-credit-bureau"),
        "CreditScoringFunctionArn": _function("loan-credit-scoring"),
        "FraudRequestFunctionArn": _function("loan-fraud-request"),
        "FraudDecisionFunctionArn": _function("loan-fraud-decision"),
        "FraudCheckTimeoutSeconds": rules.FRAUD_CHECK_TIMEOUT_SECONDS,
    },
)

STATE_MACHINES: list[StateMachineSpec] = [LOAN_HYBRID, LOAN_SFN]
