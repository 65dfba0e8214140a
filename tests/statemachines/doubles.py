"""Test doubles for the Lambdas that statemachines/loan.asl.json (hybrid) and loan-sfn.asl.json (pure Step
Functions) call.

The state machines are tested on their own: each Task reaches one of the small handlers below instead of the
real business code (services/*, durable/*). What each double does is scripted per application by the test,
through :func:`script` (and, for the credit bureaus, which only get the SIN's last four digits, per SIN through
:func:`script_bureaus`); every call is recorded in :data:`CALLS`, and a manager-approval request (with its task
token) in :data:`MANAGER_REQUESTS`.

The payload shapes follow the real handlers: intake returns the application, the assessment answers the task
token with ``{application_id, decision, reason, credit}``, the offer returns an offer, the disbursement
``{disbursement_reference, paid_now}``, and the manager-approval request files an ``APPROVAL`` item (with its
task token) in the progress table, as services/loan/manager_approval.py does. For the pure Step Functions variant:
a bureau returns a report, the scoring a credit assessment, the fraud request answers its task token with a
fraud-check result (as services/simulated/loan_fraud_service.py would), and the fraud decision returns the assessment.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3

from duoflow.runtime import FunctionSpec, ResourceRef

# --- what a test asks of the doubles --------------------------------------------------------------------------


@dataclass(frozen=True)
class Approve:
    """The assessment answers SendTaskSuccess with an approved decision."""

    reason: str = "credit approved: prime tier at 5.25%, debt-to-income 20.0%"


@dataclass(frozen=True)
class Deny:
    """The assessment answers SendTaskSuccess with a denied decision."""

    reason: str = "credit denied: credit score too low (deep-subprime tier, average score 548)"


@dataclass(frozen=True)
class FailTask:
    """The assessment answers SendTaskFailure."""

    error: str = "CreditBureauUnavailable"
    cause: str = "1 credit bureau(s) did not answer after retries"


@dataclass(frozen=True)
class Silent:
    """The assessment never answers its task token."""


Answer = Approve | Deny | FailTask | Silent


@dataclass(frozen=True)
class FraudPassed:
    """The fraud service answers SendTaskSuccess: no risk indicator."""


@dataclass(frozen=True)
class FraudFlagged:
    """The fraud service answers SendTaskSuccess: the application is flagged."""

    risk_indicators: int = 1


FraudAnswer = FraudPassed | FraudFlagged | FailTask | Silent

ALWAYS = 1_000_000  # a bureau scripted to fail this many times never answers


@dataclass(frozen=True)
class Script:
    assessment: Answer = field(default_factory=Approve)
    intake_error: str | None = None  # raise an exception of this class name from the intake
    intake_message: str = "loan_amount: must be greater than 0"
    offer_error: str | None = None
    offer_transient_failures: int = 0  # the first N offer calls raise Lambda.ServiceException, then it works
    disbursement_error: str | None = None
    # pure Step Functions variant
    credit: Approve | Deny = field(default_factory=Approve)  # what "Score Credit" decides
    fraud: FraudAnswer = field(default_factory=FraudPassed)  # how the fraud service answers the task token
    scoring_error: str | None = None
    fraud_request_error: str | None = None  # the request Lambda itself fails (the service is never asked)
    fraud_decision_error: str | None = None


@dataclass(frozen=True)
class BureauScript:
    failures: dict[str, int] = field(default_factory=dict)  # bureau -> its first N calls fail (ALWAYS: all)
    # This bureau fails until another bureau has answered for the SIN (at most LATE_FAILURES times, within its
    # Retry), so that its report is produced after another's. A gate, not a wait: the runtime runs one event
    # at a time per function, so a bureau double that waited would hold up the others.
    answer_late: str | None = None


LATE_FAILURES = 2  # the Retry's MaxAttempts: the third attempt answers whatever happened


@dataclass(frozen=True)
class Call:
    function: str
    application_id: str | None
    event: dict[str, Any]


SCRIPTS: dict[str, Script] = {}
BUREAU_SCRIPTS: dict[str, BureauScript] = {}  # SIN last 4 -> what the bureaus do (default: answer at once)
CALLS: list[Call] = []
BUREAU_ANSWERS: list[tuple[str, str]] = []  # (SIN last 4, bureau) of every report returned, in order
MANAGER_REQUESTS: dict[str, dict[str, Any]] = {}  # application id -> the event (with its task_token)

_lock = threading.Condition()


def script(application_id: str, **behaviour: Any) -> Script:
    """Decide what the doubles do for this application (defaults: valid, approved, offer and payout work)."""
    scripted = Script(**behaviour)
    with _lock:
        SCRIPTS[application_id] = scripted
    return scripted


def script_bureaus(sin_last4: str, failures: dict[str, int] | None = None, answer_late: str | None = None) -> None:
    """Decide what the credit bureaus do for this SIN: ``failures`` = {bureau: how many of its first calls
    fail} (ALWAYS: every call); ``answer_late`` = a bureau that fails until another one has answered."""
    with _lock:
        BUREAU_SCRIPTS[sin_last4] = BureauScript(dict(failures or {}), answer_late)


def bureau_answers(sin_last4: str) -> list[str]:
    """The bureaus that returned a report for this SIN, in the order they returned it."""
    with _lock:
        return [bureau for sin, bureau in BUREAU_ANSWERS if sin == sin_last4]


def bureau_calls(sin_last4: str, bureau: str | None = None) -> list[Call]:
    with _lock:
        return [
            c
            for c in CALLS
            if c.function == "loan-credit-report"
            and c.event["sin_last4"] == sin_last4
            and (bureau is None or c.event["bureau"] == bureau)
        ]


def calls(application_id: str, function: str | None = None) -> list[Call]:
    with _lock:
        return [c for c in CALLS if c.application_id == application_id and (function is None or c.function == function)]


def called(application_id: str) -> list[str]:
    """The functions called for this application, in order."""
    return [c.function for c in calls(application_id)]


def wait_for_manager_request(application_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """Block (on a condition, not a sleep) until the manager-approval double was called for the application."""
    with _lock:
        if not _lock.wait_for(lambda: application_id in MANAGER_REQUESTS, timeout=timeout):
            raise TimeoutError(f"no manager approval was requested for {application_id} within {timeout} s")
        return MANAGER_REQUESTS[application_id]


def reset() -> None:
    with _lock:
        SCRIPTS.clear()
        BUREAU_SCRIPTS.clear()
        CALLS.clear()
        BUREAU_ANSWERS.clear()
        MANAGER_REQUESTS.clear()
        _clients.clear()


# --- helpers ----------------------------------------------------------------------------------------------


def _error(name: str, message: str) -> Exception:
    """An exception whose class is called ``name``: the runtime reports it as the Lambda's errorType, which is
    what a Catch's ErrorEquals matches."""
    return type(name, (Exception,), {})(message)


def _record(function: str, application_id: str | None, event: dict[str, Any]) -> Script:
    with _lock:
        CALLS.append(Call(function, application_id, event))
        _lock.notify_all()
        scripted = SCRIPTS.get(application_id or "")
    if scripted is None:
        raise LookupError(f"{function}: no script for application {application_id!r}; call doubles.script() first")
    return scripted


_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    """One client per service, made once (under the lock: boto3's default session is not thread-safe, and a
    fresh session per call costs 0.1-0.2 s of botocore loading, long enough to race a scaled task timeout).
    Clients are thread-safe; :func:`reset` forgets them so a new runtime gets fresh ones."""
    with _lock:
        if service not in _clients:
            _clients[service] = boto3.session.Session().client(service)
        return _clients[service]


def warm_up() -> None:
    """Make the doubles' clients before the first run (on a started runtime): a first client costs 0.1-0.2 s,
    a part of the fraud check's 5 modelled minutes at TIMEOUT_SCALE (3 s), which the Task's timeout counts."""
    for service in ("stepfunctions", "dynamodb"):
        _client(service)


# --- the handlers -----------------------------------------------------------------------------------------


def intake(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Record Application: the real one validates and opens the progress log; this one returns the application
    (amounts as floats, as LoanApplication.model_dump gives them) or raises the scripted error."""
    application_id = event["application_id"]  # the real intake refuses an input without one
    scripted = _record("loan-intake", application_id, event)
    if scripted.intake_error:
        raise _error(scripted.intake_error, scripted.intake_message)
    return {
        "application_id": application_id,
        "applicant_name": event["applicant_name"],
        "sin_last4": event["sin_last4"],
        "annual_income": float(event["annual_income"]),
        "loan_amount": float(event["loan_amount"]),
        "loan_purpose": event["loan_purpose"],
    }


def assessment(event: dict[str, Any], context: Any) -> None:
    """Assess Credit and Fraud (invoked with InvocationType Event): answers the task token as scripted."""
    application = event["application"]
    scripted = _record("loan-assessment", application["application_id"], event)
    answer, token = scripted.assessment, event["task_token"]
    sfn = _client("stepfunctions")
    if isinstance(answer, Silent):
        return
    if isinstance(answer, FailTask):
        sfn.send_task_failure(taskToken=token, error=answer.error, cause=answer.cause)
        return
    decision = "approved" if isinstance(answer, Approve) else "denied"
    result = {
        "application_id": application["application_id"],
        "decision": decision,
        "reason": answer.reason,
        "credit": {
            "average_score": 760,
            "derogatory_marks": 0,
            "risk_tier": {"name": "prime", "annual_rate_percent": 5.25},
            "estimated_dti": 0.2,
            "decision": decision,
            "reason": answer.reason,
        },
        "fraud": None,
    }
    sfn.send_task_success(taskToken=token, output=json.dumps(result))


def manager_approval(event: dict[str, Any], context: Any) -> None:
    """Request Manager Approval: files the APPROVAL item (with the task token) in the progress table, like
    services/loan/manager_approval.py, and remembers the request for the test, which answers the token itself."""
    application = event["application"]
    application_id = application["application_id"]
    _record("loan-manager-approval", application_id, event)
    _client("dynamodb").put_item(
        TableName=os.environ["PROGRESS_TABLE"],
        Item={
            "application_id": {"S": application_id},
            "entry": {"S": "APPROVAL"},
            "pending_kind": {"S": "manager-approval"},
            "requested_at": {"S": "2030-01-01T00:00:00.000Z"},
            "task_token": {"S": event["task_token"]},
        },
    )
    with _lock:
        MANAGER_REQUESTS[application_id] = event
        _lock.notify_all()


def offer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    application = event["application"]
    scripted = _record("loan-offer", application["application_id"], event)
    if len(calls(application["application_id"], "loan-offer")) <= scripted.offer_transient_failures:
        # Step Functions names a function error by its errorType, so this matches the Task's Lambda.* Retry.
        raise _error("Lambda.ServiceException", "transient: the service is busy")
    if scripted.offer_error:
        raise _error(scripted.offer_error, "the offer could not be generated")
    rate = event["assessment"]["credit"]["risk_tier"]["annual_rate_percent"]
    principal = application["loan_amount"]
    return {
        "principal": principal,
        "annual_rate_percent": rate,
        "term_months": 60,
        "monthly_payment": round(principal / 60 * 1.1, 2),
        "total_repayment": round(principal * 1.1, 2),
        "total_interest": round(principal * 0.1, 2),
    }


def disbursement(event: dict[str, Any], context: Any) -> dict[str, Any]:
    application = event["application"]
    scripted = _record("loan-disbursement", application["application_id"], event)
    if scripted.disbursement_error:
        raise _error(scripted.disbursement_error, "the payment rail refused the transfer")
    return {"disbursement_reference": f"DSB-TEST-{application['application_id']}", "paid_now": True}


# --- the pure Step Functions variant's steps ---------------------------------------------------------------

BUREAUS = ("equifax", "transunion", "experian")


def bureau_report(bureau: str) -> dict[str, Any]:
    """The report a bureau double returns: a different score per bureau, so a test can tell them apart."""
    return {
        "bureau": bureau,
        "credit_score": 700 + 10 * BUREAUS.index(bureau),
        "derogatory_marks": 0,
        "monthly_debt_payments": 500.0,
    }


def credit_bureau(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Pull <Bureau> Report: {"bureau", "sin_last4"} (no application id) → a report, or the scripted failure."""
    bureau, sin = event["bureau"], event["sin_last4"]
    with _lock:
        CALLS.append(Call("loan-credit-report", None, event))
        _lock.notify_all()
        scripted = BUREAU_SCRIPTS.get(sin, BureauScript())
        attempt = sum(1 for c in CALLS if c.function == "loan-credit-report" and c.event == event)
    if attempt <= scripted.failures.get(bureau, 0):
        raise _error("BureauUnavailable", f"{bureau} did not answer (attempt {attempt})")
    if scripted.answer_late == bureau and attempt <= LATE_FAILURES and not bureau_answers(sin):
        raise _error("BureauUnavailable", f"{bureau} answers after another bureau (attempt {attempt})")
    with _lock:
        BUREAU_ANSWERS.append((sin, bureau))
        _lock.notify_all()
    return bureau_report(bureau)


def credit_scoring(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Score Credit: {"application", "reports"} → a credit assessment with the scripted decision."""
    application = event["application"]
    scripted = _record("loan-credit-scoring", application["application_id"], event)
    if scripted.scoring_error:
        raise _error(scripted.scoring_error, "the reports could not be scored")
    answer = scripted.credit
    return {
        "average_score": round(sum(r["credit_score"] for r in event["reports"]) / len(event["reports"])),
        "derogatory_marks": 0,
        "risk_tier": {"name": "prime", "annual_rate_percent": 5.25},
        "estimated_dti": 0.2,
        "decision": "approved" if isinstance(answer, Approve) else "denied",
        "reason": answer.reason,
    }


def fraud_request(event: dict[str, Any], context: Any) -> None:
    """Request Fraud Check (.waitForTaskToken): answers the task token as the scripted fraud service would,
    before returning (so the answer arrives before the Task starts waiting: moto must keep it)."""
    application = event["application"]
    scripted = _record("loan-fraud-request", application["application_id"], event)
    if scripted.fraud_request_error:
        raise _error(scripted.fraud_request_error, "the fraud service could not be asked")
    answer, token = scripted.fraud, event["task_token"]
    sfn = _client("stepfunctions")
    if isinstance(answer, Silent):
        return
    if isinstance(answer, FailTask):
        sfn.send_task_failure(taskToken=token, error=answer.error, cause=answer.cause)
        return
    indicators = answer.risk_indicators if isinstance(answer, FraudFlagged) else 0
    result = {"passed": indicators == 0, "risk_indicators": indicators, "checked_by": "FraudServiceDouble"}
    sfn.send_task_success(taskToken=token, output=json.dumps(result))


def fraud_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Decide after Fraud Check: {"application", "credit", "fraud" | "error"} → the assessment. Its reasons
    name what it was given, so a test can tell the routes apart (the real wording is services/loan/fraud.py's)."""
    application, credit = event["application"], event["credit"]
    scripted = _record("loan-fraud-decision", application["application_id"], event)
    if scripted.fraud_decision_error:
        raise _error(scripted.fraud_decision_error, "the fraud outcome could not be recorded")
    fraud, error = event.get("fraud"), event.get("error")
    if error is not None:
        decision, reason = "denied", f"fraud check failed: {error['Error']}"
    elif not fraud["passed"]:
        decision, reason = "denied", f"fraud check flagged the application ({fraud['risk_indicators']})"
    else:
        decision, reason = "approved", credit["reason"]
    return {
        "application_id": application["application_id"],
        "decision": decision,
        "reason": reason,
        "credit": credit,
        "fraud": fraud,
    }


# --- the catalog the state machines' placeholders point at -------------------------------------------------

_HERE = __name__

CATALOG: list[FunctionSpec] = [
    FunctionSpec(name="loan-intake", handler=f"{_HERE}.intake", description="double: Record Application"),
    FunctionSpec(name="loan-assessment", handler=f"{_HERE}.assessment", description="double: Assess Credit and Fraud"),
    FunctionSpec(
        name="loan-manager-approval",
        handler=f"{_HERE}.manager_approval",
        description="double: Request Manager Approval",
        environment={"PROGRESS_TABLE": ResourceRef("table", "loan-progress")},
    ),
    FunctionSpec(name="loan-offer", handler=f"{_HERE}.offer", description="double: Generate Loan Offer"),
    FunctionSpec(name="loan-disbursement", handler=f"{_HERE}.disbursement", description="double: Disburse Funds"),
    FunctionSpec(
        name="loan-credit-report", handler=f"{_HERE}.credit_bureau", description="double: Pull <Bureau> Report"
    ),
    FunctionSpec(name="loan-credit-scoring", handler=f"{_HERE}.credit_scoring", description="double: Score Credit"),
    FunctionSpec(
        name="loan-fraud-request", handler=f"{_HERE}.fraud_request", description="double: Request Fraud Check"
    ),
    FunctionSpec(
        name="loan-fraud-decision", handler=f"{_HERE}.fraud_decision", description="double: Decide after Fraud Check"
    ),
]
