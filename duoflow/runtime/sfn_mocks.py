"""Step Functions Local's mock configuration files: test cases of mocked Task responses, chosen by starting an
execution on ``stateMachineArn#TestCaseName``.

The format is AWS's (Step Functions developer guide, "Using mocked service integrations" and "Configuration file
for mocked service integrations")::

    {"StateMachines": {"<state machine name>": {"TestCases": {"<test case>": {"<Task state>": "<response name>"}}}},
     "MockedResponses": {"<response name>": {"0": {"Return": <the task's result>},
                                             "1-2": {"Throw": {"Error": "<error name>", "Cause": "<text>"}}}}}

A mocked Task never calls its service: ``Return`` is its result (for ``lambda:invoke``, the whole Invoke response,
``{"StatusCode": 200, "Payload": ...}``), ``Throw`` fails it with that error and cause, so its Retry and Catch
apply. Its invocations are numbered per state from 0 across the whole execution (a retry, a loop back, a Map
iteration each take the next number, as Step Functions Local counts them), and a ``"1-2"`` key covers both. A
``.waitForTaskToken`` Task gets its mocked result at once. A state the test case does not name calls its real
integration.

Here: :meth:`MockConfig.load` reads a file and checks all of it, naming the file, the place and the problem
(:class:`MockConfigError`); :meth:`MockConfig.test_case` picks one test case (:class:`MockCase`, which is also the
form the journal keeps with the execution: a mock configuration holding that test case only); :meth:`MockCase.to_moto`
gives moto's vendored interpreter the test case in the classes its mocking machinery reads
(moto/stepfunctions/parser/mocking/mock_config.py), with one invocation counter per state. The hooks that use
them: ``patches/moto_stepfunctions.py`` (StartExecution accepts ``arn#TestCase``; a mocked Task takes the response
of its invocation number) and ``keep_step_functions.py`` (the test case is journaled with the execution, and a
resumed execution carries on with it and with its counters as they were at its checkpoint).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "SFN_MOCK_CONFIG"  # as Step Functions Local and LocalStack read it
SEPARATOR = "#"  # stateMachineArn#TestCaseName
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class MockConfigError(ValueError):
    """A mock configuration that cannot be used; the message names the file, where in it, and what is wrong."""


class UnknownTestCase(LookupError):
    """StartExecution named a test case the mock configuration does not have (the message says what it has)."""


def split_arn(state_machine_arn: str) -> tuple[str, str | None]:
    """``arn#TestCase`` → (arn, "TestCase"); a plain ARN → (arn, None)."""
    arn, separator, test_case = state_machine_arn.partition(SEPARATOR)
    return (arn, test_case) if separator else (arn, None)


@dataclass(frozen=True)
class MockConfig:
    """A checked mock configuration: ``document`` is the file's JSON, ``source`` where it came from."""

    document: Mapping[str, Any]
    source: str

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MockConfig:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MockConfigError(f"{source}: no such file") from None
        except IsADirectoryError:
            raise MockConfigError(f"{source}: is a directory, not a mock configuration file") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise MockConfigError(f"{source}: cannot be read ({reason})") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise MockConfigError(
                f"{source}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
        return cls.from_document(document, source)

    @classmethod
    def from_environment(cls) -> MockConfig | None:
        """The file ``SFN_MOCK_CONFIG`` names, loaded (None when the variable is not set)."""
        path = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
        return cls.load(path) if path else None

    @classmethod
    def from_document(cls, document: Any, source: str = "the mock configuration") -> MockConfig:
        _check(document, source)
        return cls(document, source)

    @property
    def state_machines(self) -> dict[str, list[str]]:
        """Each state machine's test cases, by name."""
        return {name: list(machine["TestCases"]) for name, machine in self.document["StateMachines"].items()}

    def summary(self) -> str:
        machines = self.state_machines
        cases = sum(len(names) for names in machines.values())
        return f"{_count(len(machines), 'state machine')}, {_count(cases, 'test case')}"

    def test_case(self, state_machine: str, name: str) -> MockCase:
        machines = self.state_machines
        if state_machine not in machines:
            has = ", ".join(sorted(machines)) or "none"
            raise UnknownTestCase(
                f"the mock configuration {self.source} has no state machine {state_machine!r} "
                f"(test case {name!r} was asked for; its state machines: {has})"
            )
        if name not in machines[state_machine]:
            has = ", ".join(machines[state_machine]) or "none"
            raise UnknownTestCase(
                f"state machine {state_machine!r} has no test case {name!r} in the mock configuration "
                f"{self.source} (its test cases: {has})"
            )
        states: dict[str, str] = self.document["StateMachines"][state_machine]["TestCases"][name]
        responses = self.document["MockedResponses"]
        return MockCase(
            state_machine,
            name,
            {
                "StateMachines": {state_machine: {"TestCases": {name: dict(states)}}},
                "MockedResponses": {response: responses[response] for response in sorted(set(states.values()))},
            },
        )


@dataclass(frozen=True)
class MockCase:
    """One test case of one state machine. ``document`` is a mock configuration holding it alone (with the
    responses it uses): what the journal keeps with an execution started on it."""

    state_machine: str
    name: str
    document: Mapping[str, Any]

    @classmethod
    def from_journal(cls, text: str, where: str) -> MockCase:
        document = json.loads(text)
        ((state_machine, machine),) = document["StateMachines"].items()
        (name,) = machine["TestCases"]
        return MockConfig.from_document(document, where).test_case(state_machine, name)

    def to_journal(self) -> str:
        return json.dumps(self.document, separators=(",", ":"))

    @property
    def states(self) -> dict[str, str]:
        """Mocked state → the name of its mocked response."""
        return dict(self.document["StateMachines"][self.state_machine]["TestCases"][self.name])

    def to_moto(self, counts: Mapping[str, int] | None = None) -> Any:
        """The test case as moto's interpreter takes it (``Environment.mock_test_case``), each state's invocations
        counted from ``counts`` on (what a resumed execution had used at its checkpoint; none: from 0)."""
        return _counting_class()(self, counts or {})


def _counting_class() -> type:
    """A subclass of moto's vendored ``MockTestCase`` (imported here, not at import time: checking a file must
    not load moto) that counts each state's invocations."""
    global _CountingTestCase
    if _CountingTestCase is not None:
        return _CountingTestCase
    from moto.stepfunctions.parser.mocking.mock_config import (
        MockedResponseReturn,
        MockedResponseThrow,
        MockTestCase,
        StateMockedResponses,
    )

    class CountingTestCase(MockTestCase):
        def __init__(self, case: MockCase, counts: Mapping[str, int]) -> None:
            responses = case.document["MockedResponses"]
            per_state = []
            for state, response_name in case.states.items():
                mocked = []
                for key, response in responses[response_name].items():
                    start, end = _range(key)
                    if "Return" in response:
                        mocked.append(MockedResponseReturn(start, end, response["Return"]))
                    else:
                        throw = response["Throw"]
                        mocked.append(MockedResponseThrow(start, end, throw["Error"], throw["Cause"]))
                per_state.append(StateMockedResponses(state, response_name, mocked))
            super().__init__(case.state_machine, case.name, per_state)
            self.case = case
            self._counts = dict(counts)
            self._lock = threading.Lock()

        def next_response(self, state: str) -> Any:
            """The mocked response of this state's next invocation (its number taken under a lock: Parallel
            branches and Map iterations run on threads of their own)."""
            with self._lock:
                number = self._counts.get(state, 0)
                self._counts[state] = number + 1
            responses = self.state_mocked_responses[state]
            if number >= len(responses.mocked_responses):
                raise MockedResponsesUsedUp(
                    f"test case {self.case.name!r} of state machine {self.case.state_machine!r} has no mocked "
                    f"response for invocation {number} of state {state!r} (mocked response "
                    f"{responses.mocked_response_name!r} covers invocations 0-{len(responses.mocked_responses) - 1})"
                )
            return responses.mocked_responses[number]

        def counts(self) -> dict[str, int]:
            with self._lock:
                return dict(self._counts)

    _CountingTestCase = CountingTestCase
    return CountingTestCase


_CountingTestCase: type | None = None


def is_counting(test_case: Any) -> bool:
    return _CountingTestCase is not None and isinstance(test_case, _CountingTestCase)


class MockedResponsesUsedUp(RuntimeError):
    """A mocked state was invoked more often than its mocked response covers: the execution fails, as in Step
    Functions Local ("If you do not specify a mocked response ... the state machine execution will fail")."""


# --- the test case an execution is being started on (StartExecution → moto's Execution.start, one thread) --------

_starting: contextvars.ContextVar[MockCase | None] = contextvars.ContextVar("duoflow_sfn_mock_case", default=None)


@contextlib.contextmanager
def starting(case: MockCase) -> Iterator[None]:
    """While an execution is started on ``case`` (moto creates and starts it within the one call)."""
    token = _starting.set(case)
    try:
        yield
    finally:
        _starting.reset(token)


def starting_case() -> MockCase | None:
    return _starting.get()


# --- checking a document ---------------------------------------------------------------------------------------


def _check(document: Any, source: str) -> None:
    def fail(where: str, problem: str) -> MockConfigError:
        return MockConfigError(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")

    if not isinstance(document, dict):
        raise fail("", "must be a JSON object with StateMachines and MockedResponses")
    for field in ("StateMachines", "MockedResponses"):
        if field not in document:
            raise fail("", f"has no {field} (a mock configuration has StateMachines and MockedResponses)")
        if not isinstance(document[field], dict):
            raise fail(field, "must be an object")
    responses = document["MockedResponses"]
    for name, response in responses.items():
        _check_response(response, f"MockedResponses.{name}", fail)
    for machine_name, machine in document["StateMachines"].items():
        where = f"StateMachines.{machine_name}"
        if not isinstance(machine, dict) or not isinstance(machine.get("TestCases"), dict):
            raise fail(where, "must be an object with TestCases (an object of test cases)")
        for case_name, states in machine["TestCases"].items():
            case_where = f"{where}.TestCases.{case_name}"
            if not isinstance(states, dict):
                raise fail(case_where, "must be an object: Task state name → mocked response name")
            for state, response_name in states.items():
                if not isinstance(response_name, str):
                    raise fail(f"{case_where}.{state}", "must be the name of a mocked response (a string)")
                if response_name not in responses:
                    raise fail(f"{case_where}.{state}", f"mocked response {response_name!r} is not in MockedResponses")


def _check_response(response: Any, where: str, fail: Any) -> None:
    if not isinstance(response, dict) or not response:
        raise fail(where, 'must be an object of invocations ("0", "1-2", …) → {"Return": …} or {"Throw": …}')
    ranges = []
    for key, outcome in response.items():
        at = f'{where}["{key}"]'
        try:
            ranges.append((*_range(key), key))
        except ValueError as error:
            raise fail(at, str(error)) from None
        if not isinstance(outcome, dict) or len(outcome.keys() & {"Return", "Throw"}) != 1:
            raise fail(at, 'must be an object with exactly one of "Return" or "Throw"')
        if others := sorted(outcome.keys() - {"Return", "Throw"}):
            raise fail(at, f"has {', '.join(map(repr, others))}: only Return or Throw may be given")
        if "Throw" in outcome:
            throw = outcome["Throw"]
            if not isinstance(throw, dict) or not all(isinstance(throw.get(k), str) for k in ("Error", "Cause")):
                raise fail(f"{at}.Throw", 'must be an object with "Error" and "Cause" strings')
    expected = 0
    for start, end, key in sorted(ranges):
        if start != expected:
            problem = f"invocation {expected} has no response" if start > expected else f'"{key}" overlaps another'
            raise fail(where, f"invocations must be numbered from 0 without gaps or overlaps: {problem}")
        expected = end + 1


def _range(key: str) -> tuple[int, int]:
    """ "3" → (3, 3); "1-2" → (1, 2)."""
    match = _RANGE.match(key)
    if match is None:
        raise ValueError(f'"{key}" is not an invocation number ("0") or range ("1-2")')
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if end < start:
        raise ValueError(f'"{key}" ends before it starts')
    return start, end


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
