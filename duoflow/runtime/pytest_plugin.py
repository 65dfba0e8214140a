"""pytest fixtures for Step Functions Local's mock configuration files on the local runtime (sfn_mocks.py).

In the conftest.py at the root of your tests::

    pytest_plugins = ["duoflow.runtime.pytest_plugin"]

    @pytest.fixture
    def sfn_mock_config_file():              # optional: without it, the file SFN_MOCK_CONFIG names
        return Path(__file__).parent / "MockConfigFile.json"

and in a test, after the fixture that starts your ``LocalRuntime``::

    def test_happy_path(runtime, sfn_mock_config):
        sfn = runtime.client("stepfunctions")
        sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", ...)

``sfn_mock_config`` loads the file into the running runtime for the test (a file that cannot be used fails the
test, naming the file and the problem) and puts the runtime's previous configuration back afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoflow.runtime.runtime import LocalRuntime
from duoflow.runtime.sfn_mocks import ENVIRONMENT_VARIABLE, MockConfig, MockConfigError


@pytest.fixture
def sfn_mock_config_file() -> Path:
    """The mock configuration file: the one ``SFN_MOCK_CONFIG`` names. Override this fixture to name another."""
    path = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not path:
        pytest.fail(
            f"sfn_mock_config: no mock configuration file: set {ENVIRONMENT_VARIABLE}, or define a "
            "sfn_mock_config_file fixture that returns its path",
            pytrace=False,
        )
    return Path(path)


@pytest.fixture
def sfn_mock_config(sfn_mock_config_file: Path) -> Iterator[MockConfig]:
    """The running LocalRuntime's mock configuration for this test: ``arn#TestCase`` starts a test case of it."""
    runtime = LocalRuntime.running()
    if runtime is None:
        pytest.fail(
            "sfn_mock_config loads the mock configuration into the running LocalRuntime, and none is running: "
            "request the fixture that starts it first",
            pytrace=False,
        )
    try:
        config = MockConfig.load(sfn_mock_config_file)
    except MockConfigError as error:
        pytest.fail(str(error), pytrace=False)
    previous, runtime.mock_config = runtime.mock_config, config
    try:
        yield config
    finally:
        runtime.mock_config = previous
