"""The functions' logs, as an on-call engineer follows a run (services/common/log.py): every line of every
function a run touches carries the application's id, and no line carries what identifies the applicant (the SIN's
digits) or what they earn — on every variant, for every demo case."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from duoflow.demo import run_loan_case
from duoflow.function_logs import function_logs_file, lines_of
from duoflow.runtime import LocalRuntime
from duoflow.scenarios import loan_cases, training_cases
from duoflow.stack import local_stack
from duoflow.training_demo import run_training_case
from duoflow.variants import LOAN_VARIANTS, TRAINING_VARIANTS
from tests.integration.conftest import TIME_CONTROL
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def logged_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalRuntime, object]]:
    state = tmp_path_factory.mktemp("logged")
    with local_stack(TIME_CONTROL, state_dir=state, function_logs=function_logs_file(state)) as running:
        yield running, function_logs_file(state)


NOISE = ("id", "Id", "Arn", "timestamp")


def settled(runtime: LocalRuntime) -> None:
    """Until nothing the run set going is still to run: a run ends before the audit trail's last stream batch (a
    poll later) logs its lines, so the file is read after that, the same by both readers."""
    wait_until(
        lambda: runtime.lambdas.in_flight.running == 0 and runtime.durable.in_flight.running == 0,
        what="the run's stream records delivered and every handler answered",
    )


def lines_about(log_file, application_id: str) -> list[dict]:
    """The run's log lines (not its metrics' lines, which the audit trail's stream writes a moment later:
    tests/integration/test_business_metrics.py)."""
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    return [line for line in lines if application_id in json.dumps(line) and "_aws" not in line]


@pytest.mark.parametrize("variant", LOAN_VARIANTS)
@pytest.mark.parametrize("case", loan_cases(), ids=lambda case: case.case)
def test_every_line_of_a_run_carries_its_id_and_nothing_about_the_applicant(logged_runtime, case, variant):
    runtime, log_file = logged_runtime
    result = run_loan_case(runtime, case, variant)
    settled(runtime)

    lines = lines_about(log_file, result.id)
    assert lines, "the run logged nothing"
    # duoflow logs ID reads the same lines, oldest first
    stamps = [line["timestamp"] for line in lines_of(log_file, result.id).lines if "_aws" not in line]
    assert len(stamps) == len(lines) and stamps == sorted(stamps)
    untagged = [line for line in lines if line.get("correlation_id") != result.id]
    assert not untagged, untagged[:3]
    # Ids, ARNs and timestamps are random or clock digits; everything else is what a function chose to write.
    written = [{key: value for key, value in line.items() if not key.endswith(NOISE)} for line in lines]
    text = json.dumps(written).replace(result.id, "")
    assert case.application["sin_last4"] not in text
    assert f"{case.application['annual_income']:.0f}" not in text
    functions = {line.get("function") for line in lines if "function" in line}
    assert "loan-intake" in functions or variant == "durable"
    # Each invocation of a plain function says it was invoked; a failure says why, at ERROR.
    assert any(line["message"] == "invoked" for line in lines) or variant == "durable"
    assert all(line["level"] in ("DEBUG", "INFO", "WARNING", "ERROR") for line in lines)
    # A function a state machine called names that execution and the variant (its ClientContext); no other does.
    called = [line for line in lines if line.get("function") == "loan-intake"]
    if variant == "durable":
        assert called == [] or all("sfn_execution_arn" not in line for line in called)
    else:
        assert called and all(line.get("variant") == variant for line in called), called[:2]
        assert all(line["sfn_execution_arn"].endswith(f":loan-{variant}:{result.id}") for line in called)
    # A durable flow's lines name the variant it belongs to; so do the API's once it has read the one asked for.
    flows = [line for line in lines if "flow" in line]
    assert (flows != []) == (variant != "sfn")
    assert all(line.get("variant") == variant for line in flows), flows[:2]
    assert all("durable_execution_arn" not in line for line in flows)  # their own execution is their executionArn
    # A hybrid micro flow's lines name the execution that started it too (the log_context in its event).
    if variant == "hybrid":
        assert all(line.get("sfn_execution_arn", "").endswith(f":loan-hybrid:{result.id}") for line in flows)
    # The fraud service, called asynchronously (no ClientContext), is told who is calling in its event.
    fraud_service = [line for line in lines if line.get("function") == "loan-fraud-service"]
    assert bool(fraud_service) == ("fraud-requested" in case.expected["audit_trail"])
    for line in fraud_service:
        assert line.get("variant") == variant, line
        assert ("sfn_execution_arn" in line) == (variant != "durable"), line
        assert ("durable_execution_arn" in line) == (variant != "sfn"), line
    applied = [line for line in lines if line.get("function") == "duoflow-api" and line["message"] == "answered"]
    assert applied and applied[0].get("variant") == variant
    if variant == "sfn":  # the bureaus are asked by the state machine itself, each with the application's id
        bureaus = [
            line for line in lines if line.get("function") == "loan-credit-report" and line["message"] == "invoked"
        ]
        assert len(bureaus) == 3


@pytest.mark.parametrize("variant", TRAINING_VARIANTS)
def test_the_screening_model_s_answer_is_logged_with_the_request_s_keys(logged_runtime, variant):
    """The scorer runs inside a step: its line carries the request's id and the variant like the flow's own, and
    in the durable and hybrid variants the durable execution it runs in (``executionArn``, as the flow's own lines
    name it), in the sfn and hybrid ones the Step Functions execution."""
    runtime, log_file = logged_runtime
    [case] = training_cases(["junior-developer"])
    result = run_training_case(runtime, case, variant, measure=False)

    [screened] = [line for line in lines_about(log_file, result.id) if line["message"].startswith("screened by")]
    assert screened["correlation_id"] == result.id and screened["variant"] == variant
    assert screened["message"] == f"screened by {result.result_file['model_id']}: score {result.score}"
    assert ("executionArn" in screened) == (variant != "sfn") and "durable_execution_arn" not in screened
    assert ("sfn_execution_arn" in screened) == (variant != "durable")
