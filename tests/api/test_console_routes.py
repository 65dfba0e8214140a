"""Every route of the console server through its ASGI app: the HTTP API (through the duoflow-api Lambda, with
the local JWT authorizer) and the console's own endpoints. Bad input → 400 naming the field, unknown ids → 404,
wrong role → 403, no token → 401. The console's execution data is read as a manager here (what other roles see,
and what nobody sees: test_console_security.py)."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from duoflow.console.executions import laid_out
from duoflow.scenarios import loan_cases
from tests.api.conftest import bearer
from tests.failed_runs import failed_durable_execution, failed_sfn_execution
from tests.waiting import wait_until

ALICE, BOB, CHARLIE = (case.application for case in loan_cases(["alice", "bob", "charlie"]))
JSON = {"content-type": "application/json"}  # what a body that is not valid JSON still has to be sent as


def apply(client, application, variant="hybrid", prefix="api"):
    application_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    response = client.post(f"/api/apply?variant={variant}", json={**application, "application_id": application_id})
    assert response.status_code == 202, response.text
    return application_id, response.json()


def execution_of(client, name, headers, scenario="loan"):
    listed = client.get(f"/console/api/executions?scenario={scenario}", headers=headers).json()["executions"]
    return next((item for item in listed if item["name"] == name), None)


def finished(client, arn, headers):
    detail = client.get("/console/api/execution", params={"arn": arn}, headers=headers).json()
    return detail if detail["status"] not in ("RUNNING", "STARTED") else None


# --- the HTTP API through the gateway ----------------------------------------------------------------------------


def test_apply_then_approve_as_manager_ends_approved_with_every_state_green(client, as_manager):
    application_id, started = apply(client, ALICE)
    assert started["variant"] == "hybrid" and started["execution_arn"].endswith(application_id)

    pending = wait_until(
        lambda: [
            a
            for a in client.get("/api/approvals", headers=as_manager).json()["approvals"]
            if a["application_id"] == application_id
        ],
        what="Alice's approval to be pending",
    )
    assert pending[0]["applicant_name"] == "Alice Johnson" and "task_token" not in pending[0]
    decided = client.post(
        f"/api/approve/{application_id}", headers=as_manager, json={"approved": True, "manager": "Dana Lee"}
    )
    assert decided.status_code == 200 and decided.json() == {"application_id": application_id, "approved": True}

    detail = wait_until(lambda: finished(client, started["execution_arn"], as_manager), what="the execution's end")
    assert detail["status"] == "SUCCEEDED"
    states = detail["states"]
    assert states["Loan Approved"]["status"] == "succeeded"
    assert states["Request Manager Approval"]["status"] == "succeeded"
    assert states["Loan Denied"]["status"] == "not-reached"
    assert 'data-id="Loan Approved"' in detail["svg"]
    [durable] = detail["durable"]
    assert durable["state"] == "Assess Credit and Fraud" and durable["function"] == "loan-assessment"
    names = [op["name"] for op in durable["operations"]]
    assert {"pull equifax report", "pull transunion report", "pull experian report", "fraud check"} <= set(names)
    parallel = next(op for op in durable["operations"] if op["type"] == "Parallel")
    assert {op["name"] for op in durable["operations"] if op["parent"] == parallel["id"]} == {
        "equifax report",
        "transunion report",
        "experian report",
    }
    assert client.get(f"/api/status/{application_id}").json()["status"] == "approved"


def test_approvals_need_a_token_with_the_manager_role(client, as_hr, signer):
    no_token = client.get("/api/approvals")
    assert no_token.status_code == 401
    assert no_token.json()["message"] == "sign in: GET /approvals needs a token with the managers role"
    wrong_role = client.post("/api/approve/anything", headers=as_hr, json={"approved": True, "manager": "Priya"})
    assert wrong_role.status_code == 403
    assert wrong_role.json()["message"] == "POST /approve/{application_id} needs the managers role; your token has hr"
    nobody = bearer(signer.issue({"sub": "applicant", "cognito:groups": []}))
    assert client.get("/api/approvals", headers=nobody).json()["message"].endswith("your token has no role")


def test_invalid_tokens_are_refused_before_the_api_runs(client, as_manager):
    other_server = bearer(
        __import__("duoflow.console.tokens", fromlist=["TokenSigner"]).TokenSigner.for_this_run().role_token("managers")
    )
    refused = client.get("/api/approvals", headers=other_server)
    assert refused.status_code == 401 and "signature" in refused.json()["message"]
    assert client.get("/api/approvals", headers={"authorization": "Basic abc"}).status_code == 401
    tampered = as_manager["authorization"][:-3] + "abc"
    assert client.get("/api/approvals", headers={"authorization": tampered}).status_code == 401


def test_bad_input_gets_400_naming_the_field(client, as_manager):
    bad = client.post("/api/apply?variant=hybrid", json={**ALICE, "sin_last4": "12", "loan_amount": 0})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"sin_last4", "loan_amount"}
    assert client.post("/api/apply?variant=quantum", json=ALICE).json()["errors"] == [
        {"field": "variant", "rule": "must be one of hybrid, sfn, durable"}
    ]
    assert client.post("/api/apply", content="{nope", headers=JSON).json()["errors"] == [
        {"field": "body", "rule": "must be valid JSON"}
    ]
    approve = client.post("/api/approve/x", headers=as_manager, json={"approved": "yes"})
    assert approve.status_code == 400 and [e["field"] for e in approve.json()["errors"]] == ["approved", "manager"]


def test_an_accepted_id_whose_workflow_wrote_nothing_yet_is_starting_not_404(client, runtime, as_hr):
    """The page asks right after Apply or an upload, before the workflow's first step has written a status."""
    from services.common.progress import DynamoProgressLog
    from services.training.audit import DynamoTrainingLog

    dynamodb = runtime.client("dynamodb")
    application_id, request_id = f"bound-{uuid.uuid4().hex[:8]}", f"bound-{uuid.uuid4().hex[:8]}"
    DynamoProgressLog(dynamodb, "loan-progress").bind_workflow(application_id, {"variant": "sfn", "fingerprint": "f"})
    status = client.get(f"/api/status/{application_id}")
    assert status.status_code == 200 and status.json()["status"] == "starting" and status.json()["log"] == []
    if ("bucket", "training-requests") in runtime.resources:
        DynamoTrainingLog(dynamodb, "training-progress").bind_workflow(
            request_id, {"variant": "sfn", "fingerprint": "f"}
        )
        progress = client.get(f"/console/api/training/requests/{request_id}", headers=as_hr)
        assert progress.status_code == 200 and progress.json()["status"] == "starting"
        assert client.get("/console/api/training/requests/no-such-request", headers=as_hr).status_code == 404


def test_unknown_ids_get_404(client, as_manager):
    assert client.get("/api/status/no-such-application").status_code == 404
    missing = client.post(
        "/api/approve/no-such-application", headers=as_manager, json={"approved": True, "manager": "D"}
    )
    assert missing.status_code == 404
    assert client.get("/api/nowhere").status_code == 404


def test_the_same_application_again_gets_its_workflow_and_another_variant_is_409(client):
    application_id, first = apply(client, BOB)
    wait_until(lambda: client.get(f"/api/status/{application_id}").json().get("status") == "denied")
    again = client.post("/api/apply", json={**BOB, "application_id": application_id})
    assert again.status_code == 200, again.text
    assert again.json()["execution_arn"] == first["execution_arn"]
    for variant in ("sfn", "durable"):
        other_variant = client.post(f"/api/apply?variant={variant}", json={**BOB, "application_id": application_id})
        assert other_variant.status_code == 409
        assert other_variant.json()["variant"] == "hybrid"
        assert first["execution_arn"] in other_variant.json()["message"]
    changed = client.post("/api/apply", json={**BOB, "loan_amount": 1234, "application_id": application_id})
    assert changed.status_code == 409


def test_training_reviews_need_the_hr_role(client, as_manager, as_hr):
    assert client.get("/api/reviews").status_code == 401
    assert client.get("/api/reviews", headers=as_manager).status_code == 403
    assert client.get("/api/reviews", headers=as_hr).status_code == 200
    bad = client.post("/api/reviews/none", headers=as_hr, json={"decision": "maybe", "reviewer": "Priya"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "decision"
    unknown = client.post("/api/reviews/no-such-request", headers=as_hr, json={"decision": "approve", "reviewer": "P"})
    assert unknown.status_code == 404


# --- the console's own endpoints --------------------------------------------------------------------------------


def test_a_denied_run_marks_its_end_state_denied_with_the_reason(client, as_hr):
    application_id, started = apply(client, BOB, variant="sfn")
    detail = wait_until(lambda: finished(client, started["execution_arn"], as_hr), what="Bob's run to end")
    loan_denied = detail["states"]["Loan Denied"]
    assert loan_denied["status"] == "denied"
    assert loan_denied["cause"].startswith("credit denied: credit score too low")
    assert detail["states"]["Request Fraud Check"]["status"] == "not-reached"
    assert detail["durable"] == []


def test_executions_of_one_definition_share_its_diagram_laid_out_once_each_with_its_own_title(client, as_hr):
    """The execution page is polled every second: a definition's graph is laid out once (``laid_out``), and each
    execution's diagram is that layout under the execution's own title."""
    first, second = (apply(client, BOB, variant="sfn")[1]["execution_arn"] for _ in range(2))
    laid_out.cache_clear()
    pages = [
        wait_until(lambda arn=arn: finished(client, arn, as_hr), what="Bob's run to end") for arn in (first, second)
    ]
    assert laid_out.cache_info().misses == 1 and laid_out.cache_info().hits >= 1
    untitled = [re.sub(r"<title>.*?</title>|aria-label=\"[^\"]*\"", "", page["svg"]) for page in pages]
    assert untitled[0] == untitled[1] and 'data-id="Loan Denied"' in untitled[0]
    for page in pages:
        assert f"<title>loan-sfn: {page['name']}</title>" in page["svg"]


def test_a_failure_caught_by_the_asl_is_shown_caught_with_its_cause(client, as_manager, monkeypatch):
    monkeypatch.setenv("FRAUD_SIMULATION", "fail")
    application_id, started = apply(client, CHARLIE, variant="sfn")
    detail = wait_until(lambda: finished(client, started["execution_arn"], as_manager), what="Charlie's run to end")
    fraud = detail["states"]["Request Fraud Check"]
    assert fraud["status"] == "caught", fraud
    assert fraud["error"] and "could not reach its data provider" in (fraud["cause"] or "")
    assert detail["states"]["Decide after Fraud Check"]["status"] == "succeeded"


def test_a_pure_durable_execution_is_listed_and_shows_its_operations(client, as_manager):
    application_id, started = apply(client, CHARLIE, variant="durable")
    listed = wait_until(lambda: execution_of(client, application_id, as_manager), what="the durable execution listed")
    assert (listed["kind"], listed["variant"], listed["scenario"]) == ("durable", "durable", "loan")
    detail = wait_until(lambda: finished(client, listed["arn"], as_manager), what="the durable run to end")
    assert detail["kind"] == "durable" and detail["status"] == "SUCCEEDED"
    assert detail["output"]["outcome"] == "approved"
    assert [op["name"] for op in detail["operations"]][0] == "record application"
    assert detail["invocations"], "each invocation (replay) is listed"
    same = client.get("/console/api/durable", params={"arn": listed["arn"]}, headers=as_manager).json()
    assert same["operations"] == detail["operations"]


def test_the_executions_list_says_who_each_run_is_about_newest_first_and_filters_by_status(client, runtime, as_hr):
    bob_id, _ = apply(client, BOB, variant="sfn")
    broken_sfn, broken_durable = failed_sfn_execution(runtime), failed_durable_execution(runtime)

    def listed(**filters):
        answer = client.get("/console/api/executions", params={"scenario": "loan", **filters}, headers=as_hr)
        assert answer.status_code == 200, answer.text
        return answer.json()

    everything = wait_until(
        lambda: (found := listed()) and bob_id in {e["name"] for e in found["executions"]} and found,
        what="Bob listed",
    )
    bob = next(e for e in everything["executions"] if e["name"] == bob_id)
    assert (bob["who"], bob["what"], bob["amount"]) == ("Bob Martinez", BOB["loan_purpose"], BOB["loan_amount"])
    assert "sin_last4" not in json.dumps(everything) and "annual_income" not in json.dumps(everything)
    starts = [e["start"] for e in everything["executions"]]
    assert starts == sorted(starts, reverse=True), "newest first"

    failed = listed(status="failed")
    assert {broken_sfn, broken_durable} <= {e["arn"] for e in failed["executions"]}
    assert {e["status"] for e in failed["executions"]} <= {"FAILED", "TIMED_OUT"}
    assert failed["counts"]["failed"] == len(failed["executions"]) and failed["counts"]["all"] >= len(starts)
    found = listed(text="bob martinez")["executions"]
    assert bob_id in {e["name"] for e in found} and {e["who"] for e in found} == {"Bob Martinez"}
    assert [e["name"] for e in listed(text=bob_id.upper())["executions"]] == [bob_id]
    bogus = client.get("/console/api/executions?status=broken", headers=as_hr)
    assert bogus.status_code == 400 and bogus.json()["errors"] == [
        {"field": "status", "rule": "is one of running, failed, succeeded, stopped"}
    ]


def test_execution_endpoints_check_their_input(client, as_hr):
    missing = client.get("/console/api/execution", headers=as_hr)
    assert missing.json()["errors"] == [{"field": "arn", "rule": "is required"}]
    nope = "arn:aws:states:us-east-1:123456789012:execution:loan-hybrid:nope"
    assert client.get("/console/api/execution", params={"arn": nope}, headers=as_hr).status_code == 404
    assert client.get("/console/api/durable", headers=as_hr).status_code == 400
    assert client.get("/console/api/durable", params={"arn": "nope/nope"}, headers=as_hr).status_code == 404
    assert client.get("/console/api/executions?scenario=loan&variant=sfn", headers=as_hr).status_code == 200


def test_the_events_endpoint_checks_its_input(client, as_hr):
    missing = client.get("/console/api/events", headers=as_hr)
    assert missing.status_code == 400 and missing.json()["errors"] == [{"field": "arn", "rule": "is required"}]
    bogus = client.get("/console/api/events", params={"arn": "loan-hybrid"}, headers=as_hr)
    assert bogus.status_code == 400 and bogus.json()["errors"] == [
        {"field": "arn", "rule": "is a Step Functions execution ARN or a durable execution ARN"}
    ]
    nope = "arn:aws:states:us-east-1:123456789012:execution:loan-hybrid:nope"
    unknown = client.get("/console/api/events", params={"arn": nope}, headers=as_hr)
    assert unknown.status_code == 404 and nope in unknown.json()["message"]
    durable = "arn:aws:lambda:us-east-1:123456789012:function:loan-workflow:$LATEST/durable-execution/nope/nope"
    assert client.get("/console/api/events", params={"arn": durable}, headers=as_hr).status_code == 404


def test_asl_about_cases_bench_and_the_page(client):
    asl = client.get("/console/api/asl/loan-hybrid").json()
    assert asl["file"] == "statemachines/loan.asl.json" and "Assess Credit and Fraud" in asl["definition"]["States"]
    assert "${" not in str(asl["definition"])  # the ASL that runs: placeholders filled
    assert client.get("/console/api/asl/nope").status_code == 404
    about = client.get("/console/api/about").json()
    assert set(about["scenarios"]["loan"]) == {"hybrid", "sfn", "durable"}
    assert [role["role"] for role in about["roles"]] == ["managers", "hr"]
    cases = client.get("/console/api/cases").json()
    assert [case["case"] for case in cases["loan"]][:1] and any(c["case"] == "alice" for c in cases["loan"])
    assert client.get("/console/api/bench").json()["variants"].keys() >= {"sfn", "durable", "hybrid"}
    assert client.get("/console/bench.svg").headers["content-type"].startswith("image/svg")
    training = client.get("/console/api/bench?scenario=training").json()
    assert training["scenario"] == "training" and training["variants"].keys() >= {"sfn", "durable", "hybrid"}
    assert client.get("/console/bench.svg?scenario=training").headers["content-type"].startswith("image/svg")
    assert client.get("/console/api/bench?scenario=mortgage").json()["errors"] == [
        {"field": "scenario", "rule": "is one of loan, training"}
    ]
    page = client.get("/")
    assert page.status_code == 200 and "duoflow" in page.text
    assert client.get("/static/app.js").status_code == 200


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ("{not json", ["body"]),
        ([1, 2], ["body"]),
        ({"request": {"employee_id": "E-1"}, "variant": "quantum"}, ["variant", "employee_name"]),
        ({"request": {}, "request_id": "../etc"}, ["request_id"]),
    ],
)
def test_training_upload_refuses_bad_documents_naming_fields(client, runtime, body, fields):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    response = client.post(
        "/console/api/training/requests",
        **({"content": body, "headers": JSON} if isinstance(body, str) else {"json": body}),
    )
    assert response.status_code == 400
    named = [error["field"] for error in response.json()["errors"]]
    assert all(field in named for field in fields), named


def test_unknown_training_request_is_404(client, runtime, as_hr):
    if ("bucket", "training-requests") not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    assert client.get("/console/api/training/requests/no-such-request", headers=as_hr).status_code == 404


def test_an_idempotency_key_reaches_the_api_through_the_console(client):
    key = {"Idempotency-Key": f"console-{uuid.uuid4().hex[:8]}"}
    first = client.post("/api/apply", json=BOB, headers=key)
    again = client.post("/api/apply", json=BOB, headers=key)
    assert first.status_code == 202, first.text
    assert (again.status_code, again.json()) == (202, first.json())
    assert client.post("/api/apply", json={**BOB, "loan_amount": 999}, headers=key).status_code == 422


def test_the_audit_export_is_a_file_for_a_signed_in_role_and_refuses_what_it_cannot_answer(client, as_hr):
    application_id, started = apply(client, CHARLIE)  # approved without a manager
    wait_until(lambda: finished(client, started["execution_arn"], as_hr), what="Charlie's loan ended")
    exported = client.get(f"/console/api/audit/{application_id}?format=csv", headers=as_hr)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"] == f'attachment; filename="audit-{application_id}.csv"'
    assert exported.text.startswith("at,source,event,what,by,rule\n") and "below the $100,000" in exported.text
    document = client.get(f"/console/api/audit/{application_id}", headers=as_hr)
    assert document.text.startswith(f"# Audit trail of loan application {application_id}\n")

    assert client.get(f"/console/api/audit/{application_id}").status_code == 401
    wrong = client.get(f"/console/api/audit/{application_id}?format=pdf", headers=as_hr)
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == [{"field": "format", "rule": "is one of md, json, csv"}]
    # Its log lines: this runtime keeps no log file (duoflow serve does: tests/ui), and says so
    assert client.get(f"/console/api/logs/{application_id}", headers=as_hr).json() == {"lines": [], "kept": False}
    assert client.get(f"/console/api/logs/{application_id}").status_code == 401
    unknown = client.get("/console/api/audit/no-such-id", headers=as_hr)
    assert (
        unknown.status_code == 404
        and "no loan application or training request 'no-such-id'" in unknown.json()["message"]
    )
