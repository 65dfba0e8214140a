"""Reading and checking a Step Functions Local mock configuration file (duoflow/runtime/sfn_mocks.py), without a
runtime: AWS's example file loads; every way a file can be unusable is refused with the file, the place in it and
the problem; a test case is picked by state machine and name, and comes back from its journaled form."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from duoflow.runtime.sfn_mocks import MockCase, MockConfig, MockConfigError, UnknownTestCase, split_arn

FIXTURES = Path(__file__).parent / "fixtures" / "sfn_mocks"
AWS_EXAMPLE = FIXTURES / "MockConfigFile.json"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration"


def example() -> dict:
    return json.loads(AWS_EXAMPLE.read_text())


def refused(tmp_path: Path, document: object | str) -> str:
    """The message loading ``document`` (JSON, or raw text) from a file is refused with."""
    path = tmp_path / "MockConfigFile.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(MockConfigError) as refusal:
        MockConfig.load(path)
    message = str(refusal.value)
    assert message.startswith(f"{path}: "), message
    return message[len(f"{path}: ") :]


def test_aws_documented_example_loads_with_its_three_test_cases():
    config = MockConfig.load(AWS_EXAMPLE)
    assert config.source == str(AWS_EXAMPLE)
    assert config.state_machines == {"LambdaSQSIntegration": ["HappyPath", "RetryPath", "HybridPath"]}
    assert config.summary() == "1 state machine, 3 test cases"


def test_an_arn_names_its_test_case_after_a_hash():
    assert split_arn(f"{ARN}#HappyPath") == (ARN, "HappyPath")
    assert split_arn(ARN) == (ARN, None)
    assert split_arn(f"{ARN}#") == (ARN, "")


def test_a_test_case_holds_its_states_and_only_the_responses_they_use():
    case = MockConfig.load(AWS_EXAMPLE).test_case("LambdaSQSIntegration", "HybridPath")
    assert (case.state_machine, case.name) == ("LambdaSQSIntegration", "HybridPath")
    assert case.states == {"LambdaState": "MockedLambdaSuccess"}
    assert set(case.document["MockedResponses"]) == {"MockedLambdaSuccess"}
    # what the journal keeps comes back as the same test case
    assert MockCase.from_journal(case.to_journal(), "the journal") == case


def test_an_unknown_state_machine_or_test_case_is_named_with_what_the_file_has():
    config = MockConfig.load(AWS_EXAMPLE)
    with pytest.raises(UnknownTestCase) as unknown:
        config.test_case("LambdaSQSIntegration", "SadPath")
    assert str(unknown.value) == (
        f"state machine 'LambdaSQSIntegration' has no test case 'SadPath' in the mock configuration {AWS_EXAMPLE} "
        "(its test cases: HappyPath, RetryPath, HybridPath)"
    )
    with pytest.raises(UnknownTestCase) as unknown:
        config.test_case("loan-sfn", "HappyPath")
    assert str(unknown.value) == (
        f"the mock configuration {AWS_EXAMPLE} has no state machine 'loan-sfn' (test case 'HappyPath' was asked "
        "for; its state machines: LambdaSQSIntegration)"
    )


def test_a_file_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(MockConfigError, match=f"^{tmp_path / 'missing.json'}: no such file$"):
        MockConfig.load(tmp_path / "missing.json")
    with pytest.raises(MockConfigError, match=f"^{tmp_path}: is a directory, not a mock configuration file$"):
        MockConfig.load(tmp_path)


def test_text_that_is_not_json_is_refused_with_the_line_and_column(tmp_path):
    assert refused(tmp_path, '{"StateMachines": {},\n  "MockedResponses": {,}}') == (
        "not JSON: Expecting property name enclosed in double quotes at line 2 column 23"
    )


def mutated(change) -> dict:
    document = copy.deepcopy(example())
    change(document)
    return document


RETRY = "MockedResponses.MockedLambdaRetry"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.pop("StateMachines"), "has no StateMachines"),
        (lambda d: d.pop("MockedResponses"), "has no MockedResponses"),
        (lambda d: d.update(StateMachines=[]), "StateMachines: must be an object"),
        (
            lambda d: d["StateMachines"]["LambdaSQSIntegration"].pop("TestCases"),
            "StateMachines.LambdaSQSIntegration: must be an object with TestCases",
        ),
        (
            lambda d: d["StateMachines"]["LambdaSQSIntegration"]["TestCases"].update(SadPath=["LambdaState"]),
            "StateMachines.LambdaSQSIntegration.TestCases.SadPath: must be an object: Task state name → mocked "
            "response name",
        ),
        (
            lambda d: d["StateMachines"]["LambdaSQSIntegration"]["TestCases"]["HappyPath"].update(SQSState="Nope"),
            "StateMachines.LambdaSQSIntegration.TestCases.HappyPath.SQSState: mocked response 'Nope' is not in "
            "MockedResponses",
        ),
        (
            lambda d: d["StateMachines"]["LambdaSQSIntegration"]["TestCases"]["HappyPath"].update(SQSState=1),
            "StateMachines.LambdaSQSIntegration.TestCases.HappyPath.SQSState: must be the name of a mocked "
            "response (a string)",
        ),
        (lambda d: d["MockedResponses"].update(Empty={}), "MockedResponses.Empty: must be an object of invocations"),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"].update({"4-x": {"Return": 1}}),
            f'{RETRY}["4-x"]: "4-x" is not an invocation number ("0") or range ("1-2")',
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"].update({"5-4": {"Return": 1}}),
            f'{RETRY}["5-4"]: "5-4" ends before it starts',
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"].pop("1-2"),
            f"{RETRY}: invocations must be numbered from 0 without gaps or overlaps: invocation 1 has no response",
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"].update({"2": {"Return": 1}}),
            f'{RETRY}: invocations must be numbered from 0 without gaps or overlaps: "2" overlaps another',
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"]["3"].update(Throw={"Error": "E", "Cause": "C"}),
            f'{RETRY}["3"]: must be an object with exactly one of "Return" or "Throw"',
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"].update({"4": {"Returns": 1}}),
            f'{RETRY}["4"]: must be an object with exactly one of "Return" or "Throw"',
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"]["3"].update(Delay=1),
            f"{RETRY}[\"3\"]: has 'Delay': only Return or Throw may be given",
        ),
        (
            lambda d: d["MockedResponses"]["MockedLambdaRetry"]["0"]["Throw"].pop("Cause"),
            f'{RETRY}["0"].Throw: must be an object with "Error" and "Cause" strings',
        ),
    ],
)
def test_an_unusable_document_is_refused_naming_the_place_and_the_problem(tmp_path, change, problem):
    assert refused(tmp_path, mutated(change)).startswith(problem)


def test_a_document_that_is_not_an_object_is_refused(tmp_path):
    assert refused(tmp_path, []) == "must be a JSON object with StateMachines and MockedResponses"


def test_any_json_value_is_a_result_and_ranges_may_repeat_one_response(tmp_path):
    config = MockConfig.from_document(
        {
            "StateMachines": {"sm": {"TestCases": {"Falsy": {"A": "Nothing"}}}},
            "MockedResponses": {"Nothing": {"0-2": {"Return": None}, "3": {"Return": {}}, " 4 - 5 ": {"Return": 0}}},
        }
    )
    moto_case = config.test_case("sm", "Falsy").to_moto()
    payloads = [moto_case.next_response("A").payload for _ in range(6)]
    assert payloads == [None, None, None, {}, 0, 0]
