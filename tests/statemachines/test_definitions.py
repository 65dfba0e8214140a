"""The filled definitions: placeholders, the domain constants they carry, and statelint.

No runtime here: the definitions are filled with a resolver that names resources the way the local runtime
does, and read as JSON.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonata
import pytest

from catalog.functions import CATALOG
from catalog.specs import ResourceRef
from catalog.state_machines import LOAN_HYBRID, LOAN_SFN, STATE_MACHINES, StateMachineSpec
from domain.loan import rules
from tests.statemachines import doubles

REGION, ACCOUNT = "us-east-1", "123456789012"
STATELINT = Path(sys.executable).parent / "statelint"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def resolve(ref: ResourceRef) -> str:
    kind, name = ref.kind, ref.logical_name
    if ref.attribute == "name":
        return name
    service = {"function": "lambda", "topic": "sns", "state_machine": "states", "table": "dynamodb"}[kind]
    prefix = {"function": "function:", "state_machine": "stateMachine:", "table": "table/"}.get(kind, "")
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{prefix}{name}"


def filled(spec: StateMachineSpec) -> dict:
    return json.loads(spec.definition(resolve))


def filled_but_the_variant(spec: StateMachineSpec) -> dict:
    """The definition with every value but the one that names the variant (``LogContext``, for the logs)."""
    return filled(dataclasses.replace(spec, placeholders={**spec.placeholders, "LogContext": "${LogContext}"}))


def all_states(definition: dict) -> dict[str, dict]:
    """Every state by name, the Parallel branches' states included."""
    found = {}
    for name, state in definition["States"].items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch))
    return found


def jsonata_body(value: str) -> str:
    match = re.fullmatch(r"\{%(.*)%\}", value, re.DOTALL)
    assert match, f"not a JSONata expression: {value!r}"
    return match.group(1).strip()


def evaluate(value: str, **variables) -> object:
    return jsonata.Jsonata(jsonata_body(value)).evaluate(None, variables)


# --- 7. placeholders ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", STATE_MACHINES, ids=lambda spec: spec.name)
def test_every_placeholder_is_filled_and_every_value_is_used(spec):
    raw = spec.path.read_text()
    text = spec.definition(resolve)

    assert "${" not in text
    assert set(PLACEHOLDER.findall(raw)) == set(spec.placeholders), "placeholders in the ASL vs values in the spec"
    json.loads(text)  # still JSON once filled


@pytest.mark.parametrize("spec", [LOAN_HYBRID, LOAN_SFN], ids=lambda spec: spec.name)
def test_loan_thresholds_and_timeouts_are_the_domain_constants(spec):
    states = filled(spec)["States"]

    # The manager threshold: the Choice's number, and the Choice agrees with rules.requires_manager_approval
    # on both sides of it (inclusive).
    condition = states["Manager Approval Required?"]["Choices"][0]["Condition"]
    assert int(re.search(r">=\s*(\d+)", condition).group(1)) == rules.MANAGER_APPROVAL_THRESHOLD
    for amount in (
        rules.MANAGER_APPROVAL_THRESHOLD - 0.01,
        rules.MANAGER_APPROVAL_THRESHOLD,
        rules.MANAGER_APPROVAL_THRESHOLD + 1,
    ):
        routed = evaluate(condition, application={"loan_amount": amount})
        assert routed is rules.requires_manager_approval(amount), amount
    assert f"{rules.MANAGER_APPROVAL_THRESHOLD} dollars" in states["Manager Approval Required?"]["Comment"]

    # The timeouts, as the Tasks evaluate them.
    manager_wait = states["Request Manager Approval"]["TimeoutSeconds"]
    assert evaluate(manager_wait) == rules.MANAGER_APPROVAL_TIMEOUT_SECONDS
    assert f"{rules.MANAGER_APPROVAL_TIMEOUT_SECONDS} seconds" in states["Request Manager Approval"]["Comment"]

    # The reason of a timed-out approval.
    outcome = evaluate(states["Deny: No Manager Decision"]["Assign"]["outcome"], application={"application_id": "a-1"})
    assert outcome == {"application_id": "a-1", "outcome": "denied", "reason": rules.NO_MANAGER_DECISION_REASON}


def test_hybrid_assessment_timeout_is_the_domain_constant():
    states = filled(LOAN_HYBRID)["States"]
    assert evaluate(states["Assess Credit and Fraud"]["TimeoutSeconds"]) == rules.ASSESSMENT_TIMEOUT_SECONDS
    # The assessment's own fraud-check wait must fit inside the time the workflow gives it.
    assert rules.ASSESSMENT_TIMEOUT_SECONDS > rules.FRAUD_CHECK_TIMEOUT_SECONDS


def test_sfn_fraud_check_timeout_is_the_domain_constant():
    state = filled(LOAN_SFN)["States"]["Request Fraud Check"]
    assert evaluate(state["TimeoutSeconds"]) == rules.FRAUD_CHECK_TIMEOUT_SECONDS
    assert f"{rules.FRAUD_CHECK_TIMEOUT_SECONDS} seconds" in state["Comment"]


def test_sfn_asks_the_domains_bureaus_in_order_each_retried_like_the_durable_assessment():
    parallel = filled(LOAN_SFN)["States"]["Pull Credit Reports"]
    tasks = [branch["States"][branch["StartAt"]] for branch in parallel["Branches"]]

    assert [task["Arguments"]["Payload"]["bureau"] for task in tasks] == list(rules.BUREAUS)
    for task in tasks:
        # durable/loan_assessment BUREAU_RETRY: 3 attempts, 2 s then x2. ASL counts retries, not attempts.
        [retry] = task["Retry"]
        assert (retry["ErrorEquals"], retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"]) == (
            ["States.ALL"],
            2,
            2,
            2.0,
        )
        # the SIN and the id their logs are keyed by: the bureaus learn nothing else about the applicant
        assert set(task["Arguments"]["Payload"]) == {"bureau", "sin_last4", "application_id"}


def test_sfn_runs_the_hybrids_macro_flow_from_the_assessment_on():
    """From "Credit and Fraud Check Passed?" to the end, and the intake, the two files are the same, state for
    state: the variants differ only in how the assessment is made."""
    hybrid, sfn = filled_but_the_variant(LOAN_HYBRID)["States"], filled_but_the_variant(LOAN_SFN)["States"]
    names = list(hybrid)
    shared = names[names.index("Credit and Fraud Check Passed?") :]

    assert list(sfn)[-len(shared) :] == shared
    for name in shared:
        assert sfn[name] == hybrid[name], name
    intake = {**sfn["Record Application"], "Next": hybrid["Record Application"]["Next"]}
    assert intake == hybrid["Record Application"]


@pytest.mark.parametrize("spec", STATE_MACHINES, ids=lambda spec: spec.name)
def test_every_function_a_state_machine_calls_is_in_the_catalog_and_has_a_double(spec):
    called = {value.logical_name for value in spec.placeholders.values() if getattr(value, "kind", None) == "function"}
    assert called <= {function.name for function in CATALOG}
    assert called <= {function.name for function in doubles.CATALOG}


def test_loan_resources_point_at_the_catalogs_names():
    states = filled(LOAN_HYBRID)["States"]
    functions = {
        "Record Application": "loan-intake",
        "Assess Credit and Fraud": "loan-assessment",
        "Request Manager Approval": "loan-manager-approval",
        "Generate Loan Offer": "loan-offer",
        "Disburse Funds": "loan-disbursement",
    }
    for state, function in functions.items():
        assert states[state]["Arguments"]["FunctionName"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    assert (
        states["Notify Applicant"]["Arguments"]["TopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:applicant-notifications"
    )
    assert states["Record Processing Failure"]["Arguments"]["TableName"] == "loan-progress"
    items = states["Record Decision in Audit Trail"]["Arguments"]["TransactItems"]
    assert {next(iter(i.values()))["TableName"] for i in items} == {"loan-progress"}


def test_sfn_resources_point_at_the_catalogs_names():
    states = all_states(filled(LOAN_SFN))
    functions = {
        "Record Application": "loan-intake",
        "Pull Equifax Report": "loan-credit-report",
        "Pull Transunion Report": "loan-credit-report",
        "Pull Experian Report": "loan-credit-report",
        "Score Credit": "loan-credit-scoring",
        "Request Fraud Check": "loan-fraud-request",
        "Decide after Fraud Check": "loan-fraud-decision",
        "Request Manager Approval": "loan-manager-approval",
        "Generate Loan Offer": "loan-offer",
        "Disburse Funds": "loan-disbursement",
    }
    lambda_tasks = {
        name for name, state in states.items() if state.get("Resource", "").startswith("arn:aws:states:::lambda")
    }
    assert lambda_tasks == set(functions)
    for state, function in functions.items():
        assert states[state]["Arguments"]["FunctionName"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"


# --- 8. statelint ------------------------------------------------------------------------------------------

# statelint 3.1.0 (taro-kayo/statelint, a port of awslabs/statelint) needs one option for these definitions:
#   --eval-jsonata  without it, a JSONata TimeoutSeconds ("{% 1800 %}", valid ASL in a JSONata state) is
#                   reported as "... TimeoutSeconds is \"{% 1800 %}\" but should be an Integer".
# Every other check stays on; test_statelint_strict_reports_only_that_kind pins that nothing else is hidden.
STATELINT_OPTIONS = ["--eval-jsonata"]
KNOWN_STRICT_PROBLEMS = [
    re.compile(r'State Machine\.States\.[^\n]+\.TimeoutSeconds is "\{% \d+ %\}" but should be an Integer'),
]


def statelint(path: Path, *options: str) -> subprocess.CompletedProcess:
    assert STATELINT.exists(), f"statelint is not installed at {STATELINT}"
    return subprocess.run([str(STATELINT), *options, str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("spec", STATE_MACHINES, ids=lambda spec: spec.name)
def test_statelint_accepts_the_filled_definition(spec, tmp_path):
    path = tmp_path / spec.asl_file
    path.write_text(spec.definition(resolve))

    result = statelint(path, *STATELINT_OPTIONS)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("spec", STATE_MACHINES, ids=lambda spec: spec.name)
def test_statelint_strict_reports_only_that_kind(spec, tmp_path):
    path = tmp_path / spec.asl_file
    path.write_text(spec.definition(resolve))

    result = statelint(path)

    problems = [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]  # after "N errors:"
    assert result.returncode == (1 if problems else 0), result.stdout + result.stderr
    unexplained = [p for p in problems if not any(known.fullmatch(p) for known in KNOWN_STRICT_PROBLEMS)]
    assert unexplained == []


# --- 9. written for a compliance reviewer (the project's STYLE.md) -----------------------------------------


@pytest.mark.parametrize("spec", STATE_MACHINES, ids=lambda spec: spec.name)
def test_every_state_is_commented_and_every_error_ends_in_a_named_state(spec):
    definition = filled(spec)
    states = all_states(definition)

    assert definition.get("Comment")
    for name, state in states.items():
        assert state.get("Comment"), f"{name} has no Comment"
        assert name.endswith("?") == (state["Type"] == "Choice"), f"{name}: only Choice states end in '?'"
        if state["Type"] in ("Task", "Parallel"):
            assert state.get("Catch"), f"{name} does not catch its errors"
            assert any("States.ALL" in catch["ErrorEquals"] for catch in state["Catch"]), name
        for catch in state.get("Catch", []):
            assert catch["Next"] in states, f"{name} catches into a state that does not exist"
