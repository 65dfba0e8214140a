"""Every statemachines/*.asl.json reads as a reviewer needs it (duoflow/asl_review.py has the rules), and the
review finds each kind of problem in a definition broken on purpose, so a pass means something.

Title Case, precisely (``title_case_problem``): split the name on spaces, ignoring punctuation around a word. A
``${Placeholder}`` or a word beginning with a digit counts as capitalised. The first word, and the first after a
colon, starts with a capital letter; every other word starts with a capital letter except the short connecting
words (a, an, the, and, but, or, nor, as, at, by, for, from, in, of, on, to, with, after, before), which are all
lower case. So "Deny: No Manager Decision", "Record Decision in Audit Trail", "Score ${ReviewMinScore} or Above?".
"""

from __future__ import annotations

import copy

import pytest

from catalog.state_machines import STATEMACHINES_DIR, spec_for_file
from duoflow.asl_review import review, review_file, title_case_problem

ASL_FILES = sorted(STATEMACHINES_DIR.glob("*.asl.json"))


def test_there_are_four_state_machines_to_review():
    assert [path.name for path in ASL_FILES] == [
        "loan-sfn.asl.json",
        "loan.asl.json",
        "training-sfn.asl.json",
        "training.asl.json",
    ]


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_every_asl_file_passes_the_review(path):
    findings = review_file(path)
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_the_thresholds_and_timeouts_are_filled_from_domain_constants(path):
    spec = spec_for_file(path)
    assert spec is not None
    for name, constant in spec.constants.items():
        assert constant.source.startswith("domain/") and constant.source.endswith("/rules.py"), name
    assert {"seconds"} <= {constant.unit for constant in spec.constants.values()}, "every machine waits for something"


# --- Title Case --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Record Application",
        "Deny: No Manager Decision",
        "Record Decision in Audit Trail",
        "Application Rejected as Invalid",
        "Approved but Enrollment Undone",
        "Score ${ReviewMinScore} or Above?",
        "Request HR Review",
        "Decide after Fraud Check",
        "Add to Calendar",
    ],
)
def test_title_case_names_pass(name):
    assert title_case_problem(name) == ""


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("record Application", "record"),
        ("Record application", "application"),
        ("Add To Calendar", "To"),
        ("Decide After Fraud Check", "After"),
        ("Deny: no Manager Decision", "no"),
        ("Deny: the Manager", "the"),  # a phrase after a colon starts with a capital
    ],
)
def test_names_that_are_not_title_case_are_refused_naming_the_word(name, word):
    assert repr(word) in title_case_problem(name)


# --- the review sees each kind of problem --------------------------------------------------------------------------

GOOD = {
    "Comment": "A probe.",
    "StartAt": "Request Approval",
    "States": {
        "Request Approval": {
            "Comment": "Waits for a person.",
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "TimeoutSeconds": "{% ${ApprovalTimeoutSeconds} %}",
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Approval Timed Out"}],
            "Next": "Amount Too High?",
        },
        "Amount Too High?": {
            "Comment": "Big amounts are refused.",
            "Type": "Choice",
            "Choices": [{"Condition": "{% $amount > ${Limit} %}", "Next": "Approval Timed Out"}],
            "Default": "Pull Reports",
        },
        "Pull Reports": {
            "Comment": "Two at once.",
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Pull One Report",
                    "States": {
                        "Pull One Report": {
                            "Comment": "One report.",
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Retry": [{"ErrorEquals": ["States.ALL"]}],
                            "End": True,
                        }
                    },
                }
            ],
            "Next": "Done",
        },
        "Approval Timed Out": {"Comment": "Nobody answered.", "Type": "Fail", "Error": "NoAnswer"},
        "Done": {"Comment": "All done.", "Type": "Succeed"},
    },
}
CONSTANTS = frozenset({"ApprovalTimeoutSeconds", "Limit"})


def broken(change) -> list[str]:
    definition = copy.deepcopy(GOOD)
    change(definition, definition["States"])
    return [finding.rule + " | " + str(finding) for finding in review(definition, "probe", CONSTANTS)]


def test_the_probe_itself_passes():
    assert review(GOOD, "probe", CONSTANTS) == []


def _branch_state(states):
    return states["Pull Reports"]["Branches"][0]["States"]["Pull One Report"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d, s: d.pop("Comment"), "comment | probe: no top-level Comment"),
        (lambda d, s: s["Done"].pop("Comment"), "comment | probe: Done: no Comment"),
        (lambda d, s: _branch_state(s).pop("Comment"), "comment | probe: Pull Reports (branch 1): Pull One Report"),
        (lambda d, s: s.update({"pull reports again": s.pop("Done")}), "title case | probe: pull reports again"),
        (lambda d, s: s.update({"Amount Too High": s.pop("Amount Too High?")}), "choice name"),
        (lambda d, s: s.update({"Done?": s.pop("Done")}), "choice name | probe: Done?: only a Choice"),
        (lambda d, s: s["Request Approval"].pop("Catch"), "retry or catch | probe: Request Approval"),
        (lambda d, s: _branch_state(s).pop("Retry"), "retry or catch | probe: Pull Reports (branch 1)"),
        (
            lambda d, s: s["Request Approval"]["Catch"][0].update({"Next": "Nowhere"}),
            "named state | probe: Request Approval: Catch 1 (States.Timeout) leads to 'Nowhere'",
        ),
        (lambda d, s: s["Amount Too High?"].update({"Default": "Gone"}), "named state | probe: Amount Too High?"),
        (
            lambda d, s: s.update({"Left Behind": {"Comment": "No way in.", "Type": "Succeed"}}),
            "unreachable | probe: Left Behind",
        ),
        (
            lambda d, s: s["Pull Reports"]["Branches"][0]["States"].update(
                {"Orphan Step": {"Comment": "No way in.", "Type": "Pass", "End": True}}
            ),
            "unreachable | probe: Pull Reports (branch 1): Orphan Step",
        ),
        (
            lambda d, s: s["Request Approval"].update({"TimeoutSeconds": 1800}),
            "placeholder | probe: Request Approval: TimeoutSeconds is 1800",
        ),
        (
            lambda d, s: s["Request Approval"].update({"HeartbeatSeconds": "{% 60 %}"}),
            "placeholder | probe: Request Approval: HeartbeatSeconds",
        ),
        (
            lambda d, s: s["Request Approval"].update({"TimeoutSeconds": "{% ${ApprovalFunctionArn} %}"}),
            "${ApprovalFunctionArn} is not filled from a domain constant",
        ),
        (
            lambda d, s: s["Amount Too High?"]["Choices"][0].update({"Condition": "{% $amount > 100000 %}"}),
            "placeholder | probe: Amount Too High?: Choice rule 1: the number 100000",
        ),
        (
            lambda d, s: s["Amount Too High?"]["Choices"][0].update(
                {"And": [{"Variable": "$.amount", "NumericGreaterThan": 5}]}
            ),
            "placeholder | probe: Amount Too High?: Choice rule 1 And 1 NumericGreaterThan is 5",
        ),
        (
            lambda d, s: (
                s.update({"Pause": {"Comment": "Waits.", "Type": "Wait", "Seconds": 30, "Next": "Done"}})
                or s["Pull Reports"].update({"Next": "Pause"})
            ),
            "placeholder | probe: Pause: Seconds is 30",
        ),
    ],
)
def test_the_review_reports_each_kind_of_problem(change, expected):
    findings = broken(change)
    assert any(expected in finding for finding in findings), findings


def test_a_string_compared_in_a_condition_is_not_a_threshold():
    definition = copy.deepcopy(GOOD)
    definition["States"]["Amount Too High?"]["Choices"][0]["Condition"] = "{% $decision = 'tier 2' %}"
    assert review(definition, "probe", CONSTANTS) == []
