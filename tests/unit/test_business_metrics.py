"""The business metrics: what one change of an audit trail counts (services/metrics/audit_trail.py), the EMF
document Powertools makes of it, the handler on a DynamoDB stream event, and the sums `duoflow metrics` prints
(duoflow/business_metrics.py)."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from boto3.dynamodb.types import TypeSerializer

from domain.loan.rules import FRAUD_TIMEOUT_REASON, NO_MANAGER_DECISION_REASON
from domain.training.rules import NO_HR_DECISION_REASON
from duoflow.business_metrics import embedded_metrics, metrics_in, table_rows
from duoflow.function_logs import function_logs_file, readable
from services.common.log import logger
from services.metrics import audit_trail
from services.metrics.audit_trail import MetricPoint, emf_document, metrics_of_change

LOAN, TRAINING = "application_id", "request_id"


def status(**fields):
    return {"entry": "STATUS", **fields}


def entry(entry_id, **fields):
    return {"entry": f"LOG#{entry_id}", "entry_id": entry_id, "step": "x", "message": "m", **fields}


def test_a_status_that_first_gets_an_outcome_counts_one_decision():
    [point] = metrics_of_change(LOAN, status(status="assessing"), status(outcome="approved", reason="fine"))
    assert point == MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved")))
    # a later change of the same status (the state machine writes it again) counts nothing more
    assert metrics_of_change(LOAN, status(outcome="approved"), status(outcome="approved", updated_at="t")) == []


@pytest.mark.parametrize(
    ("key", "reason", "wait"),
    [
        (LOAN, NO_MANAGER_DECISION_REASON, "manager approval"),
        (LOAN, FRAUD_TIMEOUT_REASON, "fraud check"),
        (TRAINING, NO_HR_DECISION_REASON, "HR review"),
    ],
)
def test_an_outcome_whose_reason_is_a_waits_timeout_also_counts_a_timeout(key, reason, wait):
    decided, timeout = metrics_of_change(key, None, status(outcome="denied", reason=reason))
    assert decided.name == "Decisions"
    assert (timeout.name, dict(timeout.dimensions)["Wait"]) == ("Timeouts", wait)


def test_a_screening_score_is_a_sample_in_its_band_once():
    [point] = metrics_of_change(TRAINING, status(status="screening"), status(score=62, band="review"))
    assert point == MetricPoint("ScreeningScore", 62.0, (("Scenario", "training"), ("Band", "review")), "None")
    assert metrics_of_change(TRAINING, status(score=62, band="review"), status(score=62, band="review")) == []


@pytest.mark.parametrize(
    ("key", "new", "expected"),
    [
        (LOAN, entry("manager-decision", outcome="denied"), ("ManagerDecisions", ("Decision", "denied"))),
        (TRAINING, entry("hr-decision", outcome="approved"), ("HRDecisions", ("Decision", "approved"))),
        (LOAN, entry("fraud-checked", outcome="timed out"), ("FraudCheckFailures", ("Result", "timed out"))),
        (LOAN, entry("fraud-checked", outcome="failed"), ("FraudCheckFailures", ("Result", "failed"))),
        (
            TRAINING,
            entry("budget-released", step="compensation"),
            ("Compensations", ("Compensation", "budget-released")),
        ),
    ],
)
def test_an_audit_entry_of_a_decision_point_counts_once(key, new, expected):
    [point] = metrics_of_change(key, None, new)
    assert (point.name, point.dimensions[1]) == expected
    assert metrics_of_change(key, new, new) == []  # written again (a retry): nothing more


@pytest.mark.parametrize(
    "new",
    [
        entry("fraud-checked", outcome="passed"),
        entry("received"),
        entry("manager-decision"),  # an older entry without its outcome: not guessed from the message
        {"entry": "APPROVAL", "task_token": "t"},
        {"entry": "WORKFLOW", "variant": "sfn"},
    ],
)
def test_other_changes_count_nothing(new):
    assert metrics_of_change(LOAN, None, new) == []


def test_a_removal_or_another_table_counts_nothing():
    assert metrics_of_change(LOAN, status(outcome="approved"), None) == []
    assert metrics_of_change("id", None, status(outcome="approved")) == []


def test_the_emf_document_is_what_cloudwatch_reads():
    point = MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved")))
    document = emf_document(point, "app-1", "metrics-audit-trail")

    [group] = document["_aws"]["CloudWatchMetrics"]
    assert group["Namespace"] == "duoflow"
    assert set(group["Dimensions"][0]) == {"Scenario", "Outcome", "service"}
    assert group["Metrics"] == [{"Name": "Decisions", "Unit": "Count"}]
    assert isinstance(document["_aws"]["Timestamp"], int)
    assert (document["Scenario"], document["Outcome"], document["Decisions"]) == ("loan", "approved", [1.0])
    assert (document["correlation_id"], document["function"]) == ("app-1", "metrics-audit-trail")
    # and what `duoflow metrics` reads back from it
    [(namespace, name, dimensions, unit, values)] = embedded_metrics(document)
    assert (namespace, name, dimensions, unit, values) == (
        "duoflow",
        "Decisions",
        (("Outcome", "approved"), ("Scenario", "loan")),
        "Count",
        [1.0],
    )


def stream_record(event_name, old, new):
    serialize = TypeSerializer().serialize
    record = {
        "eventID": "1",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"application_id": {"S": "app-1"}, "entry": {"S": "STATUS"}}},
    }
    for name, image in (("OldImage", old), ("NewImage", new)):
        if image is not None:
            record["dynamodb"][name] = {key: serialize(value) for key, value in image.items()}
    return record


def test_the_handler_writes_one_emf_line_per_metric_to_the_functions_log():
    decided = {"application_id": "app-1", **status(outcome="denied", reason=NO_MANAGER_DECISION_REASON)}
    event = {"Records": [stream_record("MODIFY", {"application_id": "app-1", "entry": "STATUS"}, decided)]}
    sink = io.StringIO()
    previous = logger.registered_handler.setStream(sink)
    try:
        answer = audit_trail.handler(event, SimpleNamespace(function_name="metrics-audit-trail", aws_request_id="r"))
    finally:
        logger.registered_handler.setStream(previous)

    assert answer == {"records": 1, "metrics": 2}
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    metric_lines = [line for line in lines if "_aws" in line]
    assert [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for line in metric_lines] == [
        "Decisions",
        "Timeouts",
    ]
    assert all(line["correlation_id"] == "app-1" for line in lines)  # the invocation's lines and the metrics


def test_duoflow_metrics_sums_every_sample_per_metric_and_dimensions(tmp_path):
    points = [
        MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved"))),
        MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved"))),
        MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "denied"))),
        MetricPoint("ScreeningScore", 40, (("Scenario", "training"), ("Band", "reject")), "None"),
        MetricPoint("ScreeningScore", 10, (("Scenario", "training"), ("Band", "reject")), "None"),
    ]
    log_file = function_logs_file(tmp_path)
    log_file.write_text(
        "".join(json.dumps(emf_document(point, "id")) + "\n" for point in points)
        + json.dumps({"level": "INFO", "message": "invoked", "function": "f"})
        + "\n{cut short"
    )

    found = metrics_in(log_file)
    assert found.unreadable == 1
    assert table_rows(found.rows) == [
        ("Decisions", "Outcome=approved, Scenario=loan", "2", "2", "1–1", "1.0"),
        ("Decisions", "Outcome=denied, Scenario=loan", "1", "1", "1–1", "1.0"),
        ("ScreeningScore", "Band=reject, Scenario=training", "2", "50", "10–40", "25.0"),
    ]


def test_a_metric_line_reads_as_one_line_in_the_logs():
    point = MetricPoint("Decisions", 1, (("Scenario", "loan"), ("Outcome", "approved")))
    [(when, level, who, text)] = readable([emf_document(point, "app-1", "metrics-audit-trail")])
    assert (level, who, text) == ("INFO", "metrics-audit-trail", "metric Decisions 1 (Outcome=approved, Scenario=loan)")
    assert when.endswith("+00:00")
