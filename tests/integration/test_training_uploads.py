"""The training request through the real local runtime: an upload to the requests bucket starts the workflow
(S3 → EventBridge → training-upload), the result file lands in the results bucket. Every demo case and the
provider-full case on all three variants, which must agree (outcome parity); the same key twice starts one
workflow; an invalid document starts none; HR's review through the API resumes each variant."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest

from duoflow.runtime import ResourceRef, TimeControl
from duoflow.scenarios import TrainingCase, training_cases
from duoflow.training_demo import read_result, run_training_case, upload
from services.training.audit import ENTRY_ORDER
from tests.review_band import in_review_band, review_band_pair
from tests.waiting import wait_until

# Many runs at once on 2 cores: timeouts at 3/100, so they guard the work, not race it.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.03)
# 21 runs, 6 at a time, on a CI machine whose other core runs the parity tests: a run takes ~1 s alone here,
# and once took over a minute in CI, so the deadline only catches a run that never ends.
RUN_DEADLINE = 180
VARIANTS = ("sfn", "durable", "hybrid")
CASES = training_cases()


def decided(result) -> dict:
    """What must be the same on every variant: the result file without the run's own id and references."""
    document = dict(result.result_file or {})
    document.pop("request_id", None)
    if document.get("enrollment"):
        document["enrollment"] = {**document["enrollment"], "references": sorted(document["enrollment"]["references"])}
    return document


def audit_trail(runtime, request_id: str) -> list[str]:
    items = runtime.client("dynamodb").query(
        TableName="training-progress",
        KeyConditionExpression="request_id = :r AND begins_with(entry, :log)",
        ExpressionAttributeValues={":r": {"S": request_id}, ":log": {"S": "LOG#"}},
        ConsistentRead=True,
    )["Items"]
    entries = sorted(
        ({k: next(iter(v.values())) for k, v in item.items()} for item in items),
        key=lambda e: (e["at"], ENTRY_ORDER.index(e["entry_id"]) if e["entry_id"] in ENTRY_ORDER else 99),
    )
    return [entry["entry_id"] for entry in entries]


def test_every_case_ends_the_same_on_every_variant(runtime):
    jobs = [(case, variant) for case in CASES for variant in VARIANTS]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda job: run_training_case(runtime, *job, measure=False, deadline_seconds=RUN_DEADLINE), jobs)
        )
    by_case: dict[str, dict[str, object]] = {}
    for (case, variant), result in zip(jobs, results, strict=True):
        assert result.result_file, f"{variant}/{case.case}: no result file"
        assert result.as_expected, f"{variant}/{case.case}: {result.outcome} ({result.band}): {result.reason}"
        by_case.setdefault(case.case, {})[variant] = decided(result)
        if result.model_agrees:
            assert (result.outcome, result.reason) == (case.expected["outcome"], case.expected["reason"])
            assert audit_trail(runtime, result.id) == case.expected["audit_trail"], f"{variant}/{case.case}"
    differing = {
        case: outcomes
        for case, outcomes in by_case.items()
        if len({json.dumps(o, sort_keys=True) for o in outcomes.values()}) != 1
    }
    assert differing == {}, "the variants disagree: " + json.dumps(differing, indent=1)
    provider_full = by_case["provider-full"]["hybrid"]
    assert provider_full["enrollment"]["compensated"] == ["release budget"]


@cache
def review_band_case() -> TrainingCase:
    """A request the local model puts in the HR band (tests/review_band.py), from the first demo employee."""
    document = in_review_band(CASES[0].request)
    hr = {"decision": "approve", "reviewer": "Priya Shah", "comment": "useful for the role"}
    return TrainingCase(
        review_band_pair()["id"], "review band", document, hr, {"band": "review", "outcome": "approved"}
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_hr_review_through_the_api_resumes_every_variant(runtime, variant):
    case = review_band_case()
    result = run_training_case(runtime, case, variant, measure=False)

    assert result.hr_answered and (result.band, result.outcome) == ("review", "approved")
    assert result.reason == "HR reviewer Priya Shah approved: useful for the role"
    assert (result.result_file["reviewer"], result.result_file["comment"]) == ("Priya Shah", "useful for the role")
    trail = audit_trail(runtime, result.id)
    assert trail.index("hr-review-requested") < trail.index("hr-decision") < trail.index("budget-reserved")


def test_the_same_key_uploaded_twice_starts_one_workflow(runtime):
    case = next(c for c in CASES if c.case == "driver")
    first = run_training_case(runtime, case, "sfn", measure=False, request_id="driver-twice")

    def uploads_handled() -> int:
        return sum(1 for i in runtime.lambdas.invocations if i.function_name == "training-upload")

    before = uploads_handled()
    upload(runtime, case, "driver-twice", "sfn")
    upload(runtime, case, "driver-twice", "durable")  # another variant cannot take it over either
    wait_until(lambda: uploads_handled() >= before + 2, what="the two uploads handled")
    sfn = runtime.client("stepfunctions")
    machine = runtime.resolve(ResourceRef("state_machine", "training-sfn", "arn"))
    names = [
        e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"] if e["name"] == "driver-twice"
    ]
    assert names == ["driver-twice"]
    durable = runtime.client("lambda").list_durable_executions_by_function(
        FunctionName="training-workflow", DurableExecutionName="driver-twice"
    )["DurableExecutions"]
    assert durable == []
    assert read_result(runtime, "driver-twice")["outcome"] == first.outcome == "rejected"
    # The ignored upload is in the request's audit trail, for whoever wonders why it started nothing.
    assert [entry for entry in audit_trail(runtime, "driver-twice") if entry.startswith("upload-ignored")] == [
        next(entry for entry in audit_trail(runtime, "driver-twice") if entry.startswith("upload-ignored-durable-"))
    ]


def test_an_invalid_document_is_recorded_with_every_field_error_and_starts_nothing(runtime):
    s3 = runtime.client("s3")
    s3.put_object(
        Bucket="training-requests",
        Key="requests/broken-1.json",
        Body=json.dumps({**CASES[0].request, "cost": "a lot", "employee_email": "nobody"}).encode(),
    )
    s3.put_object(Bucket="training-requests", Key="requests/not-json.json", Body=b"{oops")

    result = wait_until(lambda: read_result(runtime, "broken-1"), what="the rejection's result file")
    assert result["outcome"] == "rejected-invalid"
    assert result["errors"] == [
        {"field": "cost", "rule": "must be a number"},
        {"field": "employee_email", "rule": "must be an email address (name@domain)"},
    ]
    not_json = wait_until(lambda: read_result(runtime, "not-json"), what="the second rejection")
    assert not_json["errors"] == [{"field": "document", "rule": "must be valid JSON"}]
    assert audit_trail(runtime, "broken-1") == ["upload-rejected"]
    for machine in ("training-hybrid", "training-sfn"):
        arn = runtime.resolve(ResourceRef("state_machine", machine, "arn"))
        started = runtime.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
        assert "broken-1" not in {e["name"] for e in started}
