"""The function catalog: every Lambda of duoflow, declared once.

The local runtime (duoflow/stack.py) and the CDK app (infra/) both read this list, so a function cannot exist
in one and not the other. Environment values that name a resource are ResourceRefs, resolved to the local
runtime's names or to the CDK constructs.

A function is named after its code (``name_for_handler``, checked by tests/unit/test_catalog_names.py):
  services/<scenario>/<module>.py  handler          -> <scenario>-<module>            (loan-intake)
  services/<scenario>/<module>.py  <role>_handler   -> <scenario>-<module>-<role>     (loan-credit-report)
  services/simulated/<module>.py   handler          -> <module>                       (loan-fraud-service)
  durable/<flow>/handler.py        handler          -> <flow>                         (training-enrollment)
  services/api/handler.py          handler          -> duoflow-api
with underscores written as hyphens.
"""

from __future__ import annotations

from catalog.specs import FunctionSpec, ResourceRef
from domain.loan.rules import ASSESSMENT_TIMEOUT_SECONDS, MANAGER_APPROVAL_TIMEOUT_SECONDS
from domain.training.rules import ENROLLMENT_TIMEOUT_SECONDS, HR_REVIEW_TIMEOUT_SECONDS, SCREENING_TIMEOUT_SECONDS

PROGRESS_TABLE = ResourceRef("table", "loan-progress")
APPLICANT_TOPIC = ResourceRef("topic", "applicant-notifications", "arn")
MANAGER_TOPIC = ResourceRef("topic", "manager-notifications", "arn")
LOAN_HYBRID_STATE_MACHINE = ResourceRef("state_machine", "loan-hybrid", "arn")
LOAN_SFN_STATE_MACHINE = ResourceRef("state_machine", "loan-sfn", "arn")

PROGRESS = {"PROGRESS_TABLE": PROGRESS_TABLE}
TRAINING = {"TRAINING_TABLE": ResourceRef("table", "training-progress")}
RESULTS = {"RESULTS_BUCKET": ResourceRef("bucket", "training-results")}
EMPLOYEE_TOPIC = ResourceRef("topic", "employee-notifications", "arn")
HR_TOPIC = ResourceRef("topic", "hr-notifications", "arn")
# The scorer adapter (services/scorer): Bedrock Converse everywhere; the local runtime answers it with the local model.
SCORER = {"SCORER": "bedrock"}
# The simulated training provider that has no seat left (services/simulated/training_providers.py): the demo's saga case.
PROVIDERS = {"TRAINING_FULL_PROVIDERS": "Sold Out Academy"}


def name_for_handler(handler: str) -> str:
    """The function name the rule above gives the handler ``module.function``."""
    module, function = handler.rsplit(".", 1)
    parts = module.split(".")
    if parts[0] == "durable":
        name = parts[1]
    elif parts[1] == "api":
        name = "duoflow-api"
    elif parts[1] == "simulated":
        name = parts[2]
    else:
        name = "-".join(parts[1:])
    if function != "handler":
        name += "-" + function.removesuffix("_handler")
    return name.replace("_", "-")


CATALOG: list[FunctionSpec] = [
    FunctionSpec(
        name="duoflow-api",
        handler="services.api.handler.handler",
        description="HTTP API: loan applications and status, manager approvals, HR reviews",
        memory_mb=512,
        timeout_seconds=29,  # API Gateway's integration limit
        thread_safe=False,  # Powertools' resolver keeps the current event in module state
        environment={
            **PROGRESS,
            "LOAN_HYBRID_STATE_MACHINE_ARN": LOAN_HYBRID_STATE_MACHINE,
            "LOAN_SFN_STATE_MACHINE_ARN": LOAN_SFN_STATE_MACHINE,
            "LOAN_WORKFLOW_FUNCTION": "loan-workflow",
            **TRAINING,
            "IDEMPOTENCY_TABLE": ResourceRef("table", "api-idempotency"),
        },
    ),
    FunctionSpec(
        name="loan-intake",
        handler="services.loan.intake.handler",
        description="Record Application: re-validates and opens the progress log",
        environment=PROGRESS,
    ),
    FunctionSpec(
        name="loan-assessment",
        handler="durable.loan_assessment.handler.handler",
        description="Durable: bureaus in parallel, risk, fraud-check callback; answers the task token",
        durable=True,
        memory_mb=512,
        timeout_seconds=60,
        # Longer than the fraud check's wait inside it; as long as the workflow waits for it.
        durable_execution_timeout_seconds=ASSESSMENT_TIMEOUT_SECONDS,
        environment={**PROGRESS, "FRAUD_SERVICE_FUNCTION": "loan-fraud-service"},
    ),
    FunctionSpec(
        name="loan-fraud-service",
        handler="services.simulated.loan_fraud_service.handler",
        description="Simulated external fraud service: answers a callback id or task token asynchronously",
        timeout_seconds=60,
        environment={"FRAUD_DELAY_SECONDS": "5"},
    ),
    FunctionSpec(
        name="loan-manager-approval",
        handler="services.loan.manager_approval.handler",
        description="Request Manager Approval: files the task token where managers see it",
        environment={**PROGRESS, "MANAGER_TOPIC_ARN": MANAGER_TOPIC},
    ),
    FunctionSpec(
        name="loan-offer",
        handler="services.loan.offer.handler",
        description="Generate Loan Offer: 60-month amortization at the risk-tier rate",
        environment=PROGRESS,
    ),
    FunctionSpec(
        name="loan-disbursement",
        handler="services.loan.disbursement.handler",
        description="Disburse Funds: exactly once per application",
        environment=PROGRESS,
    ),
    FunctionSpec(
        name="loan-credit-report",
        handler="services.loan.credit.report_handler",
        description="Pull <Bureau> Report (pure Step Functions)",
    ),
    FunctionSpec(
        name="loan-credit-scoring",
        handler="services.loan.credit.scoring_handler",
        description="Score Credit (pure Step Functions): risk tier, debt-to-income, credit decision",
        environment=PROGRESS,
    ),
    FunctionSpec(
        name="loan-fraud-request",
        handler="services.loan.fraud.request_handler",
        description="Request Fraud Check (pure Step Functions): forwards the task token to the fraud service",
        environment={**PROGRESS, "FRAUD_SERVICE_FUNCTION": "loan-fraud-service"},
    ),
    FunctionSpec(
        name="loan-fraud-decision",
        handler="services.loan.fraud.decision_handler",
        description="Decide after Fraud Check (pure Step Functions): the assessment after the fraud answer",
        environment=PROGRESS,
    ),
    FunctionSpec(
        name="loan-workflow",
        handler="durable.loan_workflow.handler.handler",
        description="Durable: the whole loan process in one function (pure durable variant)",
        durable=True,
        memory_mb=512,
        timeout_seconds=60,
        # Longer than the longest waits inside it: the assessment (its fraud check), then the manager's
        # approval, plus half an hour for everything else.
        durable_execution_timeout_seconds=ASSESSMENT_TIMEOUT_SECONDS + MANAGER_APPROVAL_TIMEOUT_SECONDS + 30 * 60,
        environment={
            **PROGRESS,
            "FRAUD_SERVICE_FUNCTION": "loan-fraud-service",
            "APPLICANT_TOPIC_ARN": APPLICANT_TOPIC,
            "MANAGER_TOPIC_ARN": MANAGER_TOPIC,
        },
    ),
    # --- training request ---------------------------------------------------------------------------------------
    FunctionSpec(
        name="training-upload",
        handler="services.training.upload.handler",
        description="S3 Object Created (EventBridge) → starts the training workflow named after the object key",
        environment={
            **TRAINING,
            **RESULTS,
            "TRAINING_VARIANT": "hybrid",
            "TRAINING_HYBRID_STATE_MACHINE_ARN": ResourceRef("state_machine", "training-hybrid", "arn"),
            "TRAINING_SFN_STATE_MACHINE_ARN": ResourceRef("state_machine", "training-sfn", "arn"),
            "TRAINING_WORKFLOW_FUNCTION": "training-workflow",
        },
    ),
    FunctionSpec(
        name="training-intake",
        handler="services.training.intake.handler",
        description="Record Request: re-validates the uploaded request and opens its audit trail",
        environment=TRAINING,
    ),
    FunctionSpec(
        name="training-screening",
        handler="durable.training_screening.handler.handler",
        description="Durable: AI screening (Bedrock Converse, retries, answer validation); answers the task token",
        durable=True,
        memory_mb=512,
        timeout_seconds=120,
        durable_execution_timeout_seconds=SCREENING_TIMEOUT_SECONDS,
        environment={**TRAINING, **SCORER},
    ),
    FunctionSpec(
        name="training-screen-request",
        handler="services.training.screen_request.handler",
        description="Screen Request (pure Step Functions): the model's score, band and rationale",
        memory_mb=512,
        timeout_seconds=120,
        environment={**TRAINING, **SCORER},
    ),
    FunctionSpec(
        name="training-hr-review",
        handler="services.training.hr_review.handler",
        description="Request HR Review: files the task token where HR sees it, notifies HR",
        environment={**TRAINING, "HR_TOPIC_ARN": HR_TOPIC},
    ),
    FunctionSpec(
        name="training-enrollment",
        handler="durable.training_enrollment.handler.handler",
        description="Durable: enrollment saga with compensations; answers the task token",
        durable=True,
        timeout_seconds=60,
        durable_execution_timeout_seconds=ENROLLMENT_TIMEOUT_SECONDS,
        environment={**TRAINING, **PROVIDERS},
    ),
    FunctionSpec(
        name="training-saga-step",
        handler="services.training.saga.step_handler",
        description="Reserve Budget / Book Seat / Add to Calendar (pure Step Functions)",
        environment={**TRAINING, **PROVIDERS},
    ),
    FunctionSpec(
        name="training-saga-compensation",
        handler="services.training.saga.compensation_handler",
        description="Record Enrollment Failure / Cancel Seat / Release Budget (pure Step Functions)",
        environment={**TRAINING, **PROVIDERS},
    ),
    FunctionSpec(
        name="training-result",
        handler="services.training.result.handler",
        description="Write Result: decides the outcome and writes the result JSON to the results bucket",
        environment={**TRAINING, **RESULTS},
    ),
    FunctionSpec(
        name="training-workflow",
        handler="durable.training_workflow.handler.handler",
        description="Durable: the whole training process in one function (pure durable variant)",
        durable=True,
        memory_mb=512,
        timeout_seconds=120,
        # Longer than the waits inside it: the screening, HR's review and the enrollment, plus half an hour.
        durable_execution_timeout_seconds=SCREENING_TIMEOUT_SECONDS
        + HR_REVIEW_TIMEOUT_SECONDS
        + ENROLLMENT_TIMEOUT_SECONDS
        + 30 * 60,
        environment={
            **TRAINING,
            **RESULTS,
            **SCORER,
            **PROVIDERS,
            "EMPLOYEE_TOPIC_ARN": EMPLOYEE_TOPIC,
            "HR_TOPIC_ARN": HR_TOPIC,
        },
    ),
    FunctionSpec(
        name="metrics-audit-trail",
        handler="services.metrics.audit_trail.handler",
        description="Business metrics from the audit trails' stream: decisions, people's decisions, timeouts, "
        "fraud check failures, compensations, screening scores (CloudWatch embedded metric format)",
    ),
]

FUNCTIONS = {spec.name: spec for spec in CATALOG}
