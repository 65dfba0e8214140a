"""Business metrics from the audit trail: decisions by outcome, managers' and HR's decisions, timeouts, fraud check
failures, compensations and screening scores, as CloudWatch metrics (Powertools Metrics, the embedded metric format).

Why from the audit trail and not where each thing happens: in the pure Step Functions and hybrid variants the
decision, a timeout and its outcome are recorded by the state machine itself (a DynamoDB task, no Lambda), so no code
of ours runs there to emit a metric. Every variant writes the same audit trail (the parity tests check it), and its
table's stream (DynamoDB Streams, every change as a record) invokes this function: one place counts the same events
for all three variants. What is counted:

==========================  ===============================  ==================================================
metric                      dimensions                       counted when
==========================  ===============================  ==================================================
Decisions                   Scenario, Outcome                the status first gets an outcome
Timeouts                    Scenario, Wait                   that outcome's reason is a wait's timeout reason
ManagerDecisions            Scenario, Decision               a manager's decision is recorded
HRDecisions                 Scenario, Decision               an HR reviewer's decision is recorded
FraudCheckFailures          Scenario, Result                 the fraud check failed or timed out
Compensations               Scenario, Compensation           an enrollment step is undone
ScreeningScore (no unit)    Scenario, Band                   the status first gets a screening score
==========================  ===============================  ==================================================

A record is delivered at least once (a stream's event source mapping retries), so a count can exceptionally be one
too many after a failure; CloudWatch's own metrics from a stream have the same property.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent

from domain.loan import rules as loan_rules
from domain.training import rules as training_rules
from services.common.log import SERVICE, logged, write_line
from services.common.progress import LOAN_LOG, LOG_PREFIX, STATUS_ENTRY
from services.training.audit import TRAINING_LOG

NAMESPACE = "duoflow"
SCENARIOS = {LOAN_LOG.key: "loan", TRAINING_LOG.key: "training"}  # the table's key names the scenario
# The outcome reasons that mean a wait ran out, and the wait's name (the domain constants the workflows use).
TIMEOUT_REASONS = {
    loan_rules.NO_MANAGER_DECISION_REASON: "manager approval",
    loan_rules.FRAUD_TIMEOUT_REASON: "fraud check",
    training_rules.NO_HR_DECISION_REASON: "HR review",
}
FRAUD_FAILURES = ("failed", "timed out")  # domain/loan/rules.py fraud_check_result


@dataclass(frozen=True)
class MetricPoint:
    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...]
    unit: str = MetricUnit.Count.value


def metrics_of_change(key_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[MetricPoint]:
    """The metrics one change of an audit trail table counts: ``key_name`` is the table's partition key
    (application_id or request_id), ``old`` and ``new`` the item before and after (plain values; None when it did
    not exist)."""
    scenario = SCENARIOS.get(key_name)
    if scenario is None or new is None:
        return []
    old = old or {}
    entry = str(new.get("entry", ""))
    if entry == STATUS_ENTRY:
        return _status_metrics(scenario, old, new)
    if entry.startswith(LOG_PREFIX) and not old:  # an audit entry is written once; a rewrite adds nothing
        return _entry_metrics(scenario, new)
    return []


def _status_metrics(scenario: str, old: dict[str, Any], new: dict[str, Any]) -> list[MetricPoint]:
    points = []
    if new.get("outcome") and not old.get("outcome"):
        points.append(MetricPoint("Decisions", 1, (("Scenario", scenario), ("Outcome", str(new["outcome"])))))
        wait = TIMEOUT_REASONS.get(str(new.get("reason", "")))
        if wait:
            points.append(MetricPoint("Timeouts", 1, (("Scenario", scenario), ("Wait", wait))))
    if new.get("score") is not None and old.get("score") is None:
        band = str(new.get("band") or training_rules.band(int(new["score"])))
        points.append(
            MetricPoint("ScreeningScore", float(new["score"]), (("Scenario", scenario), ("Band", band)), "None")
        )
    return points


def _entry_metrics(scenario: str, entry: dict[str, Any]) -> list[MetricPoint]:
    entry_id, outcome = str(entry.get("entry_id", "")), entry.get("outcome")
    if entry_id == "manager-decision" and outcome:
        return [MetricPoint("ManagerDecisions", 1, (("Scenario", scenario), ("Decision", str(outcome))))]
    if entry_id == "hr-decision" and outcome:
        return [MetricPoint("HRDecisions", 1, (("Scenario", scenario), ("Decision", str(outcome))))]
    if entry_id == "fraud-checked" and outcome in FRAUD_FAILURES:
        return [MetricPoint("FraudCheckFailures", 1, (("Scenario", scenario), ("Result", str(outcome))))]
    if entry.get("step") == "compensation":
        return [MetricPoint("Compensations", 1, (("Scenario", scenario), ("Compensation", entry_id)))]
    return []


def emf_document(point: MetricPoint, correlation_id: str | None, function: str | None = None) -> dict[str, Any]:
    """One metric point in CloudWatch's embedded metric format, made by Powertools Metrics (its own instance, so
    invocations running at once never share a metric set); the application or request it counts and the function
    that counted it ride along as metadata (searchable in CloudWatch Logs, not dimensions)."""
    metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    for name, value in point.dimensions:
        metrics.add_dimension(name=name, value=value)
    metrics.add_metric(name=point.name, unit=point.unit, value=point.value)
    for key, value in (("correlation_id", correlation_id), ("function", function)):
        if value:
            metrics.add_metadata(key=key, value=value)
    return metrics.serialize_metric_set()


def _correlation(event: dict[str, Any]) -> str | None:
    keys = event["Records"][0]["dynamodb"]["Keys"]
    return next((value["S"] for name, value in keys.items() if name in SCENARIOS), None)


@logged(_correlation)
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """A batch of stream records of the loan or training audit trail table: each metric it counts is written as an
    EMF line to the function's log (CloudWatch Logs turns it into a metric; ``duoflow metrics`` reads it locally)."""
    emitted = 0
    for record in DynamoDBStreamEvent(event).records:
        change = record.dynamodb
        if change is None or not change.keys:
            continue
        [key_name] = [name for name in change.keys if name in SCENARIOS] or [None]
        if key_name is None:
            continue
        correlation_id = str(change.keys[key_name])
        for point in metrics_of_change(key_name, change.old_image or None, change.new_image or None):
            write_line(emf_document(point, correlation_id, getattr(context, "function_name", None)))
            emitted += 1
    return {"records": len(event["Records"]), "metrics": emitted}
