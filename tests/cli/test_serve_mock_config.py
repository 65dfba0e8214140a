"""`duoflow serve --mock-config FILE` (and SFN_MOCK_CONFIG): Step Functions Local's test cases on the server.

In process, with stand-ins for the runtime and the console server (as test_state_dir.py): the file reaches the
runtime checked, from the option or the environment variable; a file that cannot be used stops serve before
anything starts, with exit code 2 and one line naming where it came from, the file and the problem (never a
stack trace); --reload hands it to each server it starts. Then once as a real process: a test case of the pure
Step Functions loan started through the AWS endpoint runs on its mocked responses.
"""

from __future__ import annotations

import json
import signal
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from botocore.config import Config
from typer.testing import CliRunner

from duoflow import cli
from tests.cli.conftest import Server
from tests.cli.conftest import cli as run_cli
from tests.waiting import wait_until

runner = CliRunner()
LOAN_MOCKS = Path(__file__).resolve().parents[1] / "statemachines" / "fixtures" / "loan-sfn-mock-config.json"
LOADED = "(1 state machine, 5 test cases); start an execution on stateMachineArn#TestCase to run one"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict:
    """`serve` without a runtime: what local_stack was given."""
    seen: dict = {}

    @contextmanager
    def local_stack(time_control, state_dir=None, **outputs):
        seen.update(outputs, state_dir=state_dir)
        yield SimpleNamespace(region="us-east-1", serve_aws=lambda sock: "http://127.0.0.1:1")

    monkeypatch.setattr("duoflow.stack.local_stack", local_stack)
    monkeypatch.setattr("duoflow.console.server.serve_forever", lambda runtime, signer, sock: None)
    return seen


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    state = ["--state-dir", str(tmp_path / "state")]
    return runner.invoke(cli.app, ["serve", "--port", "0", *state, *args], env={"SFN_MOCK_CONFIG": "", **(env or {})})


def test_the_option_gives_the_runtime_the_checked_file_and_says_so(tmp_path, started):
    result = serve(tmp_path, "--mock-config", str(LOAN_MOCKS))

    assert result.exit_code == 0, result.output
    config = started["mock_config"]
    assert config.source == str(LOAN_MOCKS) and config.state_machines["loan-sfn"][0] == "ApprovedWithoutManager"
    assert f"mock config: {LOAN_MOCKS} {LOADED}" in flat(result.stdout)


def test_sfn_mock_config_is_read_as_step_functions_local_reads_it(tmp_path, started):
    result = serve(tmp_path, env={"SFN_MOCK_CONFIG": str(LOAN_MOCKS)})

    assert result.exit_code == 0, result.output
    assert started["mock_config"].source == str(LOAN_MOCKS)
    assert f"mock config: {LOAN_MOCKS} {LOADED}" in flat(result.stdout)


def test_without_either_no_configuration_is_loaded(tmp_path, started):
    result = serve(tmp_path)
    assert result.exit_code == 0, result.output
    assert started["mock_config"] is None and "mock config:" not in result.stdout


def test_the_option_wins_over_the_environment_variable(tmp_path, started):
    result = serve(tmp_path, "--mock-config", str(LOAN_MOCKS), env={"SFN_MOCK_CONFIG": str(tmp_path / "gone.json")})
    assert result.exit_code == 0, result.output
    assert started["mock_config"].source == str(LOAN_MOCKS)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        ('{"StateMachines": {}', "not JSON: Expecting ',' delimiter at line 1 column 21"),
        (
            '{"StateMachines": {}}',
            "has no MockedResponses (a mock configuration has StateMachines and MockedResponses)",
        ),
        (
            json.dumps({"StateMachines": {"sm": {"TestCases": {"Happy": {"Task": "Nope"}}}}, "MockedResponses": {}}),
            "StateMachines.sm.TestCases.Happy.Task: mocked response 'Nope' is not in MockedResponses",
        ),
    ],
    ids=["missing", "not-json", "incomplete", "unknown-response"],
)
@pytest.mark.parametrize("given_by", ["--mock-config", "SFN_MOCK_CONFIG"])
def test_a_file_that_cannot_be_used_stops_serve_naming_the_file_and_the_problem(
    tmp_path, started, content, problem, given_by
):
    path = tmp_path / "MockConfigFile.json"
    if content is not None:
        path.write_text(content)
    args, env = (["--mock-config", str(path)], None) if given_by == "--mock-config" else ([], {given_by: str(path)})

    result = serve(tmp_path, *args, env=env)

    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {given_by}: {path}: {problem}"
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no stack trace
    assert "state_dir" not in started  # refused before the runtime (or the state directory) was touched
    assert not (tmp_path / "state").exists()


def test_reload_hands_the_file_to_each_server_it_starts(tmp_path, monkeypatch):
    given: dict = {}

    def supervise(sock, lock, options, folders, aws_sock):
        given["options"] = options
        return 0

    monkeypatch.setattr(cli, "supervise", supervise)
    result = serve(tmp_path, "--reload", env={"SFN_MOCK_CONFIG": str(LOAN_MOCKS)})

    assert result.exit_code == 0, result.output
    options = given["options"]
    assert options[options.index("--mock-config") + 1] == str(LOAN_MOCKS)


def test_help_tells_the_format_the_test_case_suffix_and_the_variable(tmp_path):
    text = flat(runner.invoke(cli.app, ["serve", "--help"], env={"COLUMNS": "200"}).stdout.replace("│", " "))
    assert "--mock-config FILE" in text
    assert "StartExecution on stateMachineArn#TestCaseName runs that test case" in text
    assert "Also read from SFN_MOCK_CONFIG" in text


# --- a real server ----------------------------------------------------------------------------------------------


def test_a_test_case_started_through_the_aws_endpoint_runs_on_its_mocks(tmp_path):
    server = Server(tmp_path / "state", tmp_path, tmp_path / "serve.log", "--mock-config", str(LOAN_MOCKS))
    try:
        assert f"mock config: {LOAN_MOCKS} {LOADED}" in flat(server.log())
        sfn = server.aws_client("stepfunctions", Config(retries={"max_attempts": 0}))
        [machine] = [
            m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "loan-sfn"
        ]
        arn = sfn.start_execution(
            stateMachineArn=f"{machine}#DeniedByCredit",
            name="mocked-denied-by-credit",
            input=json.dumps({"application_id": "mock-denied-by-credit"}),
        )["executionArn"]
        ended = wait_until(
            lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d,
            what="the mocked execution ends",
        )
        assert ended["status"] == "SUCCEEDED", ended
        assert json.loads(ended["output"])["reason"].startswith("credit denied: credit score too low")
        with pytest.raises(sfn.exceptions.InvalidName, match="has no test case 'SadPath'"):
            sfn.start_execution(stateMachineArn=f"{machine}#SadPath", name="sad")
        assert server.stop(signal.SIGTERM) == 0, server.log()
        assert "Traceback" not in server.log()
    finally:
        server.close()


def test_a_bad_file_in_the_environment_stops_the_real_command_without_a_trace(tmp_path):
    bad = tmp_path / "MockConfigFile.json"
    bad.write_text("[]")
    result = run_cli("serve", "--port", "0", cwd=tmp_path, env={"SFN_MOCK_CONFIG": str(bad)})
    assert result.returncode == 2
    assert flat(result.stderr) == (
        f"error: SFN_MOCK_CONFIG: {bad}: must be a JSON object with StateMachines and MockedResponses"
    )
