"""One application's or training request's audit export (``duoflow audit ID``): its audit trail (the workflow log's
entries), its Step Functions history and its durable executions' operations, merged into one trail in time order:
what happened, when, who decided (every person's decision with their name and comment), under which rule (the
threshold or band that applied, with the domain constant that sets it) and the outcome.

Read from the state directory of `duoflow serve`, whether it is running or not (duoflow/runtime/saved_state.py).
The business record (the audit trail's entries) is the same for the three variants of a case; the execution steps
are each variant's own. Neither carries a SIN or an income: the trail shows no state's input or output, only names,
statuses, messages written for people, and the first line of an error.

Three renderings: Markdown a reviewer can file, JSON and CSV for tools.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from catalog.functions import PROGRESS_TABLE, TRAINING
from domain.loan import rules as loan_rules
from domain.training import rules as training_rules
from duoflow.policies import duration_words
from duoflow.runtime.saved_state import SavedState
from services.common.progress import LOAN_LOG, LOG_PREFIX, WORKFLOW_ENTRY, LogLayout, from_dynamo, iso_milliseconds
from services.training.audit import TRAINING_LOG

Format = Literal["md", "json", "csv"]
FORMATS: tuple[Format, ...] = ("md", "json", "csv")
MEDIA_TYPES: dict[Format, str] = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}

BUSINESS = "audit trail"  # the source of the business record's entries
PEOPLE_WORK_AS = {"system", "workflow"}  # actors that are not a person


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    table: str
    layout: LogLayout
    noun: str  # "loan application"


SCENARIOS = (
    Scenario("loan", PROGRESS_TABLE.logical_name, LOAN_LOG, "loan application"),
    Scenario("training", TRAINING["TRAINING_TABLE"].logical_name, TRAINING_LOG, "training request"),
)


@dataclass(frozen=True)
class TrailEntry:
    at: str  # UTC, ISO 8601 with milliseconds
    source: str  # "audit trail", "Step Functions loan-hybrid", "durable function loan-assessment"
    event: str  # the audit trail entry's id, the history event's type or the durable operation's kind
    what: str
    by: str = ""  # the person (or "system", "workflow") for the audit trail's entries
    rule: str = ""  # the rule that applied, with the constant that sets it

    @property
    def is_business(self) -> bool:
        return self.source == BUSINESS

    @property
    def is_a_persons_decision(self) -> bool:
        return self.is_business and self.by not in PEOPLE_WORK_AS and self.event != "received"


@dataclass
class AuditExport:
    id: str
    scenario: str
    noun: str
    variant: str
    facts: list[tuple[str, str]]  # (label, value) for the document's head: who, what, the outcome
    executions: list[dict[str, str]]  # kind, arn, name (state machine or function), status
    trail: list[TrailEntry] = field(default_factory=list)

    @property
    def business_record(self) -> list[TrailEntry]:
        return [entry for entry in self.trail if entry.is_business]


# --- reading ------------------------------------------------------------------------------------------------------


def audit_export(saved: SavedState, item_id: str) -> AuditExport:
    """The merged trail of ``item_id`` (NotFound when neither scenario's log knows it)."""
    for scenario in SCENARIOS:
        items = [from_dynamo(item) for item in saved.items(scenario.table, item_id)]
        if items:
            return _export(saved, scenario, item_id, items)
    raise NotFound(f"no loan application or training request {item_id!r} in {saved.state_dir}")


def _export(saved: SavedState, scenario: Scenario, item_id: str, items: list[dict[str, Any]]) -> AuditExport:
    by_entry = {item["entry"]: item for item in items}
    status = by_entry.get("STATUS", {})
    workflow = by_entry.get(WORKFLOW_ENTRY, {})
    logged = scenario.layout.by_time([item for item in items if item["entry"].startswith(LOG_PREFIX)])
    rule = loan_rule if scenario.name == "loan" else training_rule
    trail = [
        TrailEntry(
            entry["at"],
            BUSINESS,
            entry["entry_id"],
            str(entry.get("message", "")),
            str(entry.get("actor", "")),
            rule(entry["entry_id"], status),
        )
        for entry in logged
    ]
    executions = []
    for execution in saved.state_machine_executions(item_id):
        machine = execution["machine_arn"].rsplit(":", 1)[-1]
        executions.append(
            {"kind": "Step Functions", "arn": execution["arn"], "name": machine, "status": execution["status"]}
        )
        trail += state_machine_entries(machine, saved.state_machine_events(execution["arn"]))
    for durable in saved.durable_executions(item_id):
        executions.append(
            {
                "kind": "Durable function",
                "arn": durable["arn"],
                "name": durable["function"],
                "status": durable["status"],
            }
        )
        trail += durable_entries(durable["function"], durable["operations"])
    order = {BUSINESS: 0}
    trail.sort(key=lambda entry: (entry.at, order.get(entry.source, 1)))  # stable: each source keeps its order
    return AuditExport(
        id=item_id,
        scenario=scenario.name,
        noun=scenario.noun,
        variant=str(workflow.get("variant") or _variant_of(executions)),
        facts=_facts(scenario.name, status),
        executions=executions,
        trail=trail,
    )


def _variant_of(executions: list[dict[str, str]]) -> str:
    kinds = {execution["kind"] for execution in executions}
    if kinds == {"Durable function"}:
        return "durable"
    return "unknown"


def _money(value: Any) -> str:
    return "" if value is None else f"${float(value):,.2f}"


def _facts(scenario: str, status: dict[str, Any]) -> list[tuple[str, str]]:
    if scenario == "loan":
        facts = [
            ("Applicant", str(status.get("applicant_name", ""))),
            ("Loan amount", _money(status.get("loan_amount"))),
        ]
    else:
        facts = [
            ("Employee", str(status.get("employee_name", ""))),
            ("Training", str(status.get("training_title", ""))),
            ("Cost", _money(status.get("cost"))),
        ]
        if status.get("score") is not None:
            facts.append(("Screening score", f"{int(status['score'])} ({status.get('band', '')})"))
    outcome = status.get("outcome")
    facts.append(
        (
            "Outcome",
            f"{outcome}: {status.get('reason', '')}"
            if outcome
            else "not decided yet" + (f" ({status['status']})" if status.get("status") else ""),
        )
    )
    return [(label, value) for label, value in facts if value]


# --- the rules that applied ---------------------------------------------------------------------------------------


def _cite(module: Any, name: str) -> str:
    getattr(module, name)  # the constant exists: a renamed one fails here (tests/unit/test_audit_export.py)
    return f"{module.__name__.replace('.', '/')}.py {name}"


def loan_rule(entry_id: str, status: dict[str, Any]) -> str:
    """The lending rule behind a loan application's audit trail entry, in words, with the constant that sets it."""
    r = loan_rules
    threshold = f"${r.MANAGER_APPROVAL_THRESHOLD:,}"
    if entry_id == "credit-assessed":
        return (
            f"risk tier by average score: prime from {r.PRIME_MIN_SCORE}, near-prime from {r.NEAR_PRIME_MIN_SCORE}, "
            f"subprime from {r.SUBPRIME_MIN_SCORE}, deep-subprime denied; debt-to-income at most "
            f"{r.percent(r.MAX_DEBT_TO_INCOME)} ({_cite(r, 'PRIME_MIN_SCORE')} and the constants beside it, "
            f"MAX_DEBT_TO_INCOME)"
        )
    if entry_id == "fraud-requested":
        return (
            f"the fraud service must answer within {duration_words(r.FRAUD_CHECK_TIMEOUT_SECONDS)}, or the application is "
            f"denied ({_cite(r, 'FRAUD_CHECK_TIMEOUT_SECONDS')})"
        )
    if entry_id == "manager-approval-requested":
        return (
            f"a loan of {threshold} or more needs a manager ({_cite(r, 'MANAGER_APPROVAL_THRESHOLD')}); without an "
            f"answer within {duration_words(r.MANAGER_APPROVAL_TIMEOUT_SECONDS)} it is denied: "
            f"“{r.NO_MANAGER_DECISION_REASON}” ({_cite(r, 'MANAGER_APPROVAL_TIMEOUT_SECONDS')})"
        )
    if entry_id == "offer":
        return f"{r.OFFER_TERM_MONTHS} months at the risk tier's rate ({_cite(r, 'OFFER_TERM_MONTHS')})"
    amount = status.get("loan_amount")
    if entry_id == "decision" and status.get("outcome") == "approved" and amount is not None:
        if not r.requires_manager_approval(float(amount)):
            return (
                f"{_money(amount)} is below the {threshold} that needs a manager "
                f"({_cite(r, 'MANAGER_APPROVAL_THRESHOLD')})"
            )
    return ""


def training_rule(entry_id: str, status: dict[str, Any]) -> str:
    """The training policy behind a request's audit trail entry, in words, with the constant that sets it."""
    r = training_rules
    if entry_id == "screened" and status.get("score") is not None:
        score = int(status["score"])
        band = r.band(score)
        if band == "approve":
            return f"score {score} ≥ {r.APPROVE_MIN_SCORE}: approved without a review ({_cite(r, 'APPROVE_MIN_SCORE')})"
        if band == "reject":
            return f"score {score} < {r.REVIEW_MIN_SCORE}: rejected ({_cite(r, 'REVIEW_MIN_SCORE')})"
        return (
            f"score {score} from {r.REVIEW_MIN_SCORE} to {r.APPROVE_MIN_SCORE - 1}: HR decides "
            f"({_cite(r, 'REVIEW_MIN_SCORE')}, APPROVE_MIN_SCORE)"
        )
    if entry_id == "hr-review-requested":
        return (
            f"without an HR answer within {duration_words(r.HR_REVIEW_TIMEOUT_SECONDS)} the request is rejected: "
            f"“{r.NO_HR_DECISION_REASON}” ({_cite(r, 'HR_REVIEW_TIMEOUT_SECONDS')})"
        )
    if entry_id == "enrollment-failed":
        return "a failed enrollment step undoes the steps done before it, the latest first (services/training/saga.py)"
    return ""


# --- the executions' steps ----------------------------------------------------------------------------------------

_FAILURES = {
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionAborted",
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
}
_STATE_WORDS = {"Task": "step", "Choice": "decision", "Pass": "", "Wait": "wait", "Parallel": "parallel steps"}


def _first_line(text: Any, limit: int = 200) -> str:
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _readable_cause(cause: Any) -> str:
    """A Lambda's error as Step Functions keeps it (JSON: errorType, errorMessage, stackTrace) as "Type: message";
    any other cause by its first line."""
    try:
        parsed = json.loads(cause) if isinstance(cause, str) else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        kind = str(parsed.get("errorType", "")).rsplit(".", 1)[-1]
        return _first_line(f"{kind}: {parsed['errorMessage']}" if kind else parsed["errorMessage"])
    return _first_line(cause)


def state_machine_entries(machine: str, events: list[dict[str, Any]]) -> list[TrailEntry]:
    """The history as a reader follows it: the start, each state entered (a decision with the branch it took), every
    failure with its error and the first line of its cause, the end."""
    source = f"Step Functions {machine}"
    entered = [
        (index, event["stateEnteredEventDetails"]["name"])
        for index, event in enumerate(events)
        if event["type"].endswith("StateEntered")
    ]
    found = []
    for index, event in enumerate(events):
        kind, at = event["type"], event["timestamp"]
        if kind == "ExecutionStarted":
            found.append(TrailEntry(at, source, kind, f"execution started on the state machine {machine}"))
        elif kind.endswith("StateEntered"):
            name, state_type = event["stateEnteredEventDetails"]["name"], kind.removesuffix("StateEntered")
            if state_type == "Choice":
                chosen = next((then for i, then in entered if i > index), None)
                what = f"decision “{name}” → {f'“{chosen}”' if chosen else 'no branch yet'}"
            else:
                word = _STATE_WORDS.get(state_type, state_type.lower())
                what = f"“{name}”" + (f" ({word})" if word else "")
            found.append(TrailEntry(at, source, kind, what))
        elif kind in _FAILURES:
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            error, cause = details.get("error", ""), _readable_cause(details.get("cause"))
            found.append(TrailEntry(at, source, kind, f"{kind}: {error}" + (f": {cause}" if cause else "")))
        elif kind == "ExecutionSucceeded":
            found.append(TrailEntry(at, source, kind, "execution succeeded"))
        elif kind == "ExecutionRedriven":
            count = event.get("executionRedrivenEventDetails", {}).get("redriveCount")
            found.append(
                TrailEntry(at, source, kind, f"execution redriven (redrive {count}) from the state that failed")
            )
    return found


_KINDS = {
    "Step": "step",
    "Parallel": "parallel",
    "WaitForCallback": "wait for a callback",
    "Wait": "wait",
    "Map": "map",
    "RunInChildContext": "child context",
    "ChainedInvoke": "invoke",
}


def _iso_ms(milliseconds: Any) -> str:
    return iso_milliseconds(datetime.fromtimestamp(int(milliseconds) / 1000, UTC))


def durable_entries(function: str, operations: list[dict[str, Any]]) -> list[TrailEntry]:
    """Each operation the workflow's code wrote (steps, parallels, waits, callbacks, child contexts) with its
    status, attempts and error; the execution's start and end. The SDK's own parts of a wait for a callback
    (its callback id, its submitter) and a parallel's branch frames are left out: their steps show."""
    source = f"durable function {function}"
    kinds = {op["Id"]: op.get("SubType") or op["Type"] for op in operations}
    found = []
    for op in operations:
        if op["Type"] == "EXECUTION":
            found.append(TrailEntry(_iso_ms(op["StartTimestamp"]), source, "ExecutionStarted", "execution started"))
            if op.get("EndTimestamp"):
                ended = f"execution {str(op['Status']).lower()}"
                found.append(TrailEntry(_iso_ms(op["EndTimestamp"]), source, f"Execution{op['Status']}", ended))
            continue
        kind = op.get("SubType") or op["Type"]
        if kind == "ParallelBranch" or kinds.get(op.get("ParentId", "")) == "WaitForCallback":
            continue
        details = op.get("StepDetails") or op.get("ContextDetails") or op.get("CallbackDetails") or {}
        what = f"{op['Name']} ({_KINDS.get(kind, kind)}): {str(op['Status']).lower()}"
        attempt = details.get("Attempt") or 0
        if attempt > 1:
            what += f" after {attempt} attempts"
        error = details.get("Error") or {}
        if error:
            what += f": {error.get('ErrorType', '')} {_first_line(error.get('ErrorMessage'))}".rstrip()
        found.append(TrailEntry(_iso_ms(op["StartTimestamp"]), source, kind, what))
    return found


# --- rendering ----------------------------------------------------------------------------------------------------


def render(export: AuditExport, format: Format, exported_from: str, now: datetime | None = None) -> str:
    if format == "json":
        return as_json(export)
    if format == "csv":
        return as_csv(export.trail)
    return as_markdown(export, exported_from, now or datetime.now(UTC))


def as_json(export: AuditExport) -> str:
    document = {
        "id": export.id,
        "scenario": export.scenario,
        "variant": export.variant,
        "facts": dict(export.facts),
        "executions": export.executions,
        "trail": [asdict(entry) for entry in export.trail],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=_plain) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


CSV_COLUMNS = ("at", "source", "event", "what", "by", "rule")


def as_csv(trail: Iterable[TrailEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in trail:
        writer.writerow([getattr(entry, column) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(export: AuditExport, exported_from: str, now: datetime) -> str:
    lines = [
        f"# Audit trail of {export.noun} {export.id}",
        "",
        f"Exported by `duoflow audit` on {now.strftime('%Y-%m-%d %H:%M UTC')} from the state of `duoflow serve` in "
        f"`{exported_from}`. Times are UTC. The business record is what the workflow wrote to the {export.scenario}'s "
        "audit trail; every step lists it together with the steps of the executions that ran it.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {label} | {_cell(value)} |" for label, value in export.facts),
        f"| Variant | {export.variant} |",
        *(
            f"| {execution['kind']} execution | `{execution['arn']}` ({execution['name']}, {execution['status']}) |"
            for execution in export.executions
        ),
        "",
    ]
    decisions = [entry for entry in export.trail if entry.is_a_persons_decision]
    if decisions:
        lines += ["## Decisions made by people", "", "| time | by | decision |", "|---|---|---|"]
        lines += [f"| {entry.at} | {_cell(entry.by)} | {_cell(entry.what)} |" for entry in decisions]
        lines.append("")
    lines += ["## Business record", "", "| time | what happened | by | rule that applied |", "|---|---|---|---|"]
    lines += [
        f"| {entry.at} | {_cell(entry.what)} | {_cell(entry.by)} | {_cell(entry.rule)} |"
        for entry in export.business_record
    ]
    lines += ["", "## Every step, in time order", "", "| time | where | what happened | by |", "|---|---|---|---|"]
    lines += [
        f"| {entry.at} | {_cell(entry.source)} | {_cell(entry.what)} | {_cell(entry.by)} |" for entry in export.trail
    ]
    return "\n".join(lines) + "\n"
