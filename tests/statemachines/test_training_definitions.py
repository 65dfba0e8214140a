"""The training state machines' filled definitions: placeholders carry the domain constants, statelint accepts
them, every state is commented and every error ends in a named state, every function is in the catalog."""

from __future__ import annotations

import json

import pytest

from catalog.functions import CATALOG
from catalog.state_machines import TRAINING_HYBRID, TRAINING_SFN, TRAINING_STATE_MACHINES
from domain.training import rules
from tests.statemachines.test_definitions import (
    KNOWN_STRICT_PROBLEMS,
    PLACEHOLDER,
    STATELINT_OPTIONS,
    all_states,
    evaluate,
    filled,
    filled_but_the_variant,
    resolve,
    statelint,
)

SPECS = pytest.mark.parametrize("spec", TRAINING_STATE_MACHINES, ids=lambda spec: spec.name)


@SPECS
def test_every_placeholder_is_filled_and_every_value_is_used(spec):
    assert "${" not in spec.definition(resolve)
    assert set(PLACEHOLDER.findall(spec.path.read_text())) == set(spec.placeholders)


@SPECS
def test_the_routing_agrees_with_the_domains_bands(spec):
    states = filled(spec)["States"]
    approve = states[f"Score Above {rules.APPROVE_MIN_SCORE - 1}?"]["Choices"][0]["Condition"]
    review = states[f"Score {rules.REVIEW_MIN_SCORE} or Above?"]["Choices"][0]["Condition"]
    for score in (0, 49, 50, 75, 76, 100):
        routed = (
            "approve"
            if evaluate(approve, screening={"score": score})
            else "review"
            if evaluate(review, screening={"score": score})
            else "reject"
        )
        assert routed == rules.band(score), score
    hr = states["Request HR Review"]
    assert hr["TimeoutSeconds"] == f"{{% {rules.HR_REVIEW_TIMEOUT_SECONDS} %}}"
    assert [c["Next"] for c in hr["Catch"] if c["ErrorEquals"] == ["States.Timeout"]] == ["No HR Decision in Time"]


@SPECS
def test_every_function_is_in_the_catalog(spec):
    called = {value.logical_name for value in spec.placeholders.values() if getattr(value, "kind", None) == "function"}
    assert called <= {function.name for function in CATALOG}


@SPECS
def test_statelint_accepts_the_filled_definition(spec, tmp_path):
    path = tmp_path / spec.asl_file
    path.write_text(spec.definition(resolve))
    result = statelint(path, *STATELINT_OPTIONS)
    assert result.returncode == 0, result.stdout + result.stderr
    strict = statelint(path)
    problems = [line.strip() for line in strict.stdout.splitlines()[1:] if line.strip()]
    assert [p for p in problems if not any(known.fullmatch(p) for known in KNOWN_STRICT_PROBLEMS)] == []


@SPECS
def test_every_state_is_commented_and_every_error_ends_in_a_named_state(spec):
    definition = filled(spec)
    states = all_states(definition)
    assert definition.get("Comment")
    for name, state in states.items():
        assert state.get("Comment"), f"{name} has no Comment"
        assert name.endswith("?") == (state["Type"] == "Choice"), name
        if state["Type"] == "Task":
            assert any("States.ALL" in catch["ErrorEquals"] for catch in state.get("Catch", [])), name
        for catch in state.get("Catch", []):
            assert catch["Next"] in states


def test_the_sfn_saga_compensates_in_reverse_order():
    states = filled(TRAINING_SFN)["States"]
    assert [states[s]["Catch"][0]["Next"] for s in ("Reserve Budget", "Book Seat", "Add to Calendar")] == [
        "Record Enrollment Failure",
        "Release Budget",
        "Cancel Seat",
    ]
    assert states["Cancel Seat"]["Next"] == "Release Budget"
    assert states["Release Budget"]["Next"] == states["Record Enrollment Failure"]["Next"] == "Write Result"
    assert [states[s]["Arguments"]["Payload"]["compensation"] for s in ("Cancel Seat", "Release Budget")] == [
        "cancel seat",
        "release budget",
    ]


def test_both_variants_share_the_macro_flow_from_the_result_on():
    sfn, hybrid = filled_but_the_variant(TRAINING_SFN)["States"], filled_but_the_variant(TRAINING_HYBRID)["States"]
    shared = [
        "Request HR Review",
        "Write Result",
        "Notify Employee",
        "Record Decision in Audit Trail",
        "Training Outcome?",
    ]
    for name in shared:
        assert json.dumps(sfn[name], sort_keys=True) == json.dumps(hybrid[name], sort_keys=True), name
