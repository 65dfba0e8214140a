"""Nothing personal or powerful without a role (issue 14, item 4), through the console's ASGI app on a local stack:

* execution data needs a role's token (401 without, saying how to sign in); any role reads it, the SIN digits
  and income only the managers role;
* task tokens and callback ids reach nobody, whatever the role, the endpoint or the variant;
* only Host values of the server's own address are served (DNS rebinding);
* a change must be same-origin JSON (a cross-site text/plain POST starts nothing);
* every answer carries the security headers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid

import pytest
from starlette.testclient import TestClient

from domain.training.models import Screening
from duoflow.console.app import TRAINING_BUCKET, TRAINING_PREFIX, create_app
from duoflow.console.guards import CONTENT_SECURITY_POLICY, listening_hosts
from duoflow.console.tokens import TokenSigner
from duoflow.scenarios import SCENARIOS_DIR, loan_cases
from services.common import bootstrap
from tests.api.conftest import bearer
from tests.waiting import wait_until

ALICE, BOB = (case.application for case in loan_cases(["alice", "bob"]))
VARIANTS = ("hybrid", "sfn", "durable")
PROTECTED = (
    "/console/api/executions",
    "/console/api/execution?arn=arn:aws:states:us-east-1:123456789012:execution:loan-hybrid:x",
    "/console/api/durable?arn=x",
    "/console/api/events?arn=x",
    "/console/api/training/requests/x",
)
OPEN = (
    "/console/api/about",
    "/console/api/cases",
    "/console/api/asl/loan-hybrid",
    "/console/api/bench",
    "/api/openapi.json",
    "/api-docs",
)
SECRET_KEY = re.compile(r'(?i)"(task_?token|callback_?id)\\*"')


def get_json(client, path, headers, **params):
    response = client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response


# --- who may read execution data ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROTECTED)
def test_execution_data_without_a_token_is_401_saying_how_to_sign_in(client, path):
    refused = client.get(path)
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("sign in: ")
    assert "the sign-in link `duoflow serve` printed" in refused.json()["message"]


def test_a_bad_token_is_401_and_a_token_without_a_role_403(client, signer, as_hr):
    path = "/console/api/executions"
    other_server = bearer(TokenSigner.for_this_run().role_token("hr"))
    refused = client.get(path, headers=other_server)
    assert refused.status_code == 401 and "signature" in refused.json()["message"]
    assert client.get(path, headers={"authorization": "Basic abc"}).status_code == 401
    assert client.get(path, headers={"authorization": as_hr["authorization"][:-3] + "abc"}).status_code == 401
    expired = bearer(signer.issue({"cognito:groups": ["hr"]}, now=0))
    assert "expired" in client.get(path, headers=expired).json()["message"]
    no_role = client.get(path, headers=bearer(signer.issue({"sub": "applicant", "cognito:groups": []})))
    assert no_role.status_code == 403 and no_role.json()["message"].endswith("your token has no role")


@pytest.mark.parametrize("path", OPEN)
def test_demo_inputs_the_asl_and_the_benchmark_stay_open(client, path):
    assert client.get(path).status_code == 200


# --- Alice waiting for a manager, on each variant: a live task token or callback in every history ----------------


@pytest.fixture(scope="module")
def alice_waiting(client, runtime, as_manager):
    """variant → (application id, execution ARN), each run waiting for the manager's answer."""
    runs = {}
    for variant in VARIANTS:
        application_id = f"sec-{variant}-{uuid.uuid4().hex[:6]}"
        started = client.post(f"/api/apply?variant={variant}", json={**ALICE, "application_id": application_id})
        assert started.status_code == 202, started.text
        wait_until(
            lambda application_id=application_id: (
                client.get(f"/api/status/{application_id}").json().get("awaiting_manager")
            ),
            what=f"Alice ({variant}) waiting for a manager",
        )
        listed = get_json(client, "/console/api/executions", as_manager, scenario="loan").json()["executions"]
        runs[variant] = (application_id, next(e["arn"] for e in listed if e["name"] == application_id))
    return runs


def live_secrets(runtime, runs) -> set[str]:
    """The task tokens and callback ids the runs' histories hold, read straight from the runtime (not through
    the code under test): Step Functions histories and the durable histories (the hybrid's assessment too)."""
    sfn, lam = runtime.client("stepfunctions"), runtime.client("lambda")
    texts = []
    for variant, (application_id, arn) in runs.items():
        durable_arns = []
        if variant == "durable":
            durable_arns.append(arn)
        else:
            texts.append(json.dumps(sfn.get_execution_history(executionArn=arn, maxResults=1000), default=str))
            listed = lam.list_durable_executions_by_function(
                FunctionName="loan-assessment", DurableExecutionName=application_id
            )
            durable_arns += [e["DurableExecutionArn"] for e in listed["DurableExecutions"]]
        for durable_arn in durable_arns:
            history = lam.get_durable_execution_history(DurableExecutionArn=durable_arn, IncludeExecutionData=True)
            texts.append(json.dumps(history, default=str))
    text = "\n".join(texts)
    tokens = set(re.findall(r'task_token\\*"\s*:\s*\\*"([^"\\]+)', text))
    callbacks = set(re.findall(r'"CallbackId"\s*:\s*"([^"]+)"', text))
    assert len(tokens) >= 2 and len(callbacks) >= 2, "the runs should be waiting on tokens and callbacks"
    return tokens | callbacks


def without_definition(answer: str) -> dict:
    """An answer without the ASL that ran: the ASL names task_token and sin_last4 fields, with expressions."""
    data = json.loads(answer)
    data.pop("definition", None)
    return data


def everything_a_role_reads(client, headers, runs) -> list[str]:
    answers = [get_json(client, "/console/api/executions", headers).text]
    for _, arn in runs.values():
        detail = get_json(client, "/console/api/execution", headers, arn=arn)
        answers.append(detail.text)
        answers.append(get_json(client, "/console/api/events", headers, arn=arn).text)
        for nested in detail.json().get("durable", []):
            answers.append(get_json(client, "/console/api/durable", headers, arn=nested["arn"]).text)
        if detail.json()["kind"] == "durable":
            answers.append(get_json(client, "/console/api/durable", headers, arn=arn).text)
    return answers


@pytest.mark.parametrize("role", ["managers", "hr"])
def test_no_task_token_or_callback_id_reaches_any_role(client, runtime, signer, alice_waiting, role):
    secrets = live_secrets(runtime, alice_waiting)
    for answer in everything_a_role_reads(client, bearer(signer.role_token(role)), alice_waiting):
        assert not [secret for secret in secrets if secret in answer]
        data = json.dumps(without_definition(answer))
        assert not SECRET_KEY.search(data), SECRET_KEY.search(data)


def personal_values(value, found=None) -> list:
    """Every value held under sin_last4 or annual_income, JSON text inside strings included."""
    found = [] if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("sin_last4", "annual_income"):
                found.append(item)
            personal_values(item, found)
    elif isinstance(value, list):
        for item in value:
            personal_values(item, found)
    elif isinstance(value, str) and value[:1] in "{[":
        try:
            personal_values(json.loads(value), found)
        except ValueError:
            pass
    return found


def test_hr_reads_executions_without_the_sin_digits_or_income(client, as_hr, alice_waiting):
    for answer in everything_a_role_reads(client, as_hr, alice_waiting):
        values = personal_values(without_definition(answer))
        assert set(values) <= {"redacted"}, values
        assert not re.search(r'\\*"1111\\*"', answer)  # Alice's SIN digits, as a JSON string at any depth
        assert not re.search(r"(?<![\d.])180000(?!\d)", answer)  # her income, as a number
    detail = get_json(client, "/console/api/execution", as_hr, arn=alice_waiting["hybrid"][1]).json()
    assert detail["input"]["sin_last4"] == "redacted"
    assert detail["input"]["applicant_name"] == "Alice Johnson"  # the rest is shown


def test_managers_read_the_sin_digits_and_income(client, as_manager, alice_waiting):
    for _, arn in alice_waiting.values():
        detail = get_json(client, "/console/api/execution", as_manager, arn=arn).json()
        assert {"1111", 180000} <= set(personal_values(detail)), arn


def test_the_asl_shown_with_an_execution_is_the_asl_that_ran(client, as_hr, alice_waiting):
    """The definition is not scrubbed: it holds no token, only the expression that reads one."""
    detail = get_json(client, "/console/api/execution", as_hr, arn=alice_waiting["sfn"][1]).json()
    asl = get_json(client, "/console/api/asl/loan-sfn", None).json()["definition"]
    assert detail["definition"] == asl and "Task.Token" in json.dumps(asl)


class ReviewBandScorer:
    def score(self, request):
        return Screening(score=62, rationale="in the review band", model_id="double")


@pytest.mark.parametrize("variant", ["hybrid", "durable"])
def test_a_training_request_waiting_for_hr_shows_no_token_or_callback(
    client, runtime, as_hr, as_manager, monkeypatch, variant
):
    if ("bucket", TRAINING_BUCKET) not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    monkeypatch.setattr(bootstrap, "_bedrock_scorer", lambda: ReviewBandScorer())
    document = json.loads((SCENARIOS_DIR / "training" / "marketing-specialist.json").read_text())["request"]
    request_id = f"sec-{variant}-{uuid.uuid4().hex[:6]}"
    uploaded = client.post(
        "/console/api/training/requests", json={"request": document, "variant": variant, "request_id": request_id}
    )
    assert uploaded.status_code == 202, uploaded.text
    path = f"/console/api/training/requests/{request_id}"
    wait_until(
        lambda: client.get(path, headers=as_hr).json().get("status") == "awaiting HR review",
        what="the request waiting for HR",
    )
    pending = runtime.client("dynamodb").scan(TableName="training-progress")["Items"]
    secrets = {
        value["S"]
        for item in pending
        for key, value in item.items()
        if key in ("task_token", "callback_id") and "S" in value
    }
    assert secrets, "the pending review should hold its token or callback id"
    for headers in (as_hr, as_manager):
        answer = client.get(path, headers=headers).text
        assert not [secret for secret in secrets if secret in answer]
        assert not SECRET_KEY.search(answer)


# --- Host: the server's own address only ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def on_port_8123(runtime, signer):
    """The app as uvicorn would serve it on 127.0.0.1:8123 (the TestClient reports that address as the server)."""
    return TestClient(create_app(runtime, signer), base_url="http://127.0.0.1:8123")


@pytest.mark.parametrize("host", ["127.0.0.1:8123", "localhost:8123", "[::1]:8123", "LOCALHOST:8123"])
def test_the_address_the_server_listens_on_is_served(on_port_8123, host):
    assert on_port_8123.get("/console/api/about", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8123", "evil.example", "127.0.0.1:8124", "localhost", "127.0.0.2:8123"])
@pytest.mark.parametrize("path", ["/", "/static/app.js", "/console/api/about", "/console/api/executions"])
def test_any_other_host_is_421(on_port_8123, as_manager, host, path):
    refused = on_port_8123.get(path, headers={"host": host, **as_manager})
    assert refused.status_code == 421
    assert "DNS-rebinding" in refused.json()["message"] and "127.0.0.1:8123" in refused.json()["message"]
    assert refused.json()["errors"] == [{"field": "host", "rule": "must name this server's own address"}]


def test_the_hosts_served_can_be_configured_and_include_the_bound_address(runtime, signer):
    configured = TestClient(create_app(runtime, signer, allowed_hosts=["console.test:9000"]))
    assert configured.get("/console/api/about", headers={"host": "console.test:9000"}).status_code == 200
    assert configured.get("/console/api/about", headers={"host": "testserver"}).status_code == 421
    assert listening_hosts(("192.168.1.5", 8000), listen_host="0.0.0.0") == {
        "127.0.0.1:8000",
        "localhost:8000",
        "[::1]:8000",
        "192.168.1.5:8000",
        "0.0.0.0:8000",
    }
    assert "[::1]:8000" in listening_hosts(("::1", 8000))


# --- changes: same-origin JSON only -----------------------------------------------------------------------------


def nothing_started(client, as_manager, application_id):
    listed = get_json(client, "/console/api/executions", as_manager).json()["executions"]
    return (
        application_id not in {e["name"] for e in listed}
        and client.get(f"/api/status/{application_id}").status_code == 404
    )


def test_a_cross_site_text_plain_post_starts_nothing(client, as_manager):
    application_id = f"csrf-{uuid.uuid4().hex[:6]}"
    body = json.dumps({**BOB, "application_id": application_id})
    as_a_form_would = client.post("/api/apply", content=body, headers={"content-type": "text/plain;charset=UTF-8"})
    assert as_a_form_would.status_code == 415
    assert as_a_form_would.json()["message"] == (
        "POST /api/apply: a request that changes state must send its body as JSON (Content-Type: application/json); "
        "it was sent as text/plain"
    )
    assert as_a_form_would.json()["errors"] == [{"field": "content-type", "rule": "must be application/json"}]
    cross_site = client.post(
        "/api/apply",
        content=body,
        headers={"content-type": "text/plain", "origin": "http://evil.example", "sec-fetch-site": "cross-site"},
    )
    assert cross_site.status_code == 403
    assert nothing_started(client, as_manager, application_id)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:8000"},  # another port: another origin
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_json_from_another_origin_is_403(client, as_manager, headers):
    application_id = f"csrf-{uuid.uuid4().hex[:6]}"
    refused = client.post("/api/apply", json={**BOB, "application_id": application_id}, headers=headers)
    assert refused.status_code == 403 and "must come from this console's own" in refused.json()["message"]
    assert [error["field"] for error in refused.json()["errors"]] == [next(iter(headers))]
    assert nothing_started(client, as_manager, application_id)


def test_json_from_the_console_itself_is_accepted(client):
    own = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    started = client.post("/api/apply", json={**BOB, "application_id": f"own-{uuid.uuid4().hex[:6]}"}, headers=own)
    assert started.status_code == 202, started.text


def test_a_training_upload_as_a_form_uploads_nothing(client, runtime):
    if ("bucket", TRAINING_BUCKET) not in runtime.resources:
        pytest.skip("the training scenario is not deployed")
    request_id = f"csrf-{uuid.uuid4().hex[:6]}"
    refused = client.post("/console/api/training/requests", data={"request_id": request_id, "variant": "hybrid"})
    assert refused.status_code == 415
    listed = runtime.client("s3").list_objects_v2(Bucket=TRAINING_BUCKET, Prefix=f"{TRAINING_PREFIX}{request_id}")
    assert listed.get("KeyCount", 0) == 0


# --- headers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/console/api/about", "/console/api/executions", "/nowhere"])
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_policy_is_tight_and_the_page_needs_nothing_it_forbids(client, as_hr, alice_waiting):
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and "unsafe" not in CONTENT_SECURITY_POLICY
    page = client.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    assert not re.search(r"<[^>]+\s(style|on\w+)=", page)  # no inline style or event handler attributes
    script = client.get("/static/app.js").text
    assert 'setAttribute("style"' not in script and "style: `" not in script
    # the execution graph's own <style> is allowed by its hash
    svg = get_json(client, "/console/api/execution", as_hr, arn=alice_waiting["sfn"][1]).json()["svg"]
    style = re.search(r"<style>(.*?)</style>", svg, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["style-src"]
