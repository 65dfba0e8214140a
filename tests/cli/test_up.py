"""`duoflow up TEMPLATE` as a user runs it: other authors' SAM apps (tests/fixtures/templates/) and this project's
own synthesized CDK template, each deployed on the runtime, driven through its API or the AWS endpoint, stopped and
(for one) started again on its state; a template error; a requirements.txt installed once and reused offline."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from duoflow.templates.requirements import installed_requirements
from tests.cli.conftest import ROOT, Process, cli
from tests.waiting import wait_until

FIXTURES = ROOT / "tests" / "fixtures" / "templates"
# A requirements.txt is installed once per content; the tests keep their installs between runs (like `sam build`'s
# cache): the first run reaches the package registry, later runs are offline.
REQUIREMENTS_CACHE = ROOT / ".cache" / "test-requirements"
READY = "Ctrl-C stops."


class Up(Process):
    """`duoflow up TEMPLATE --port 0 ...` once it has deployed: ``aws(service)`` clients, ``api`` URL."""

    def __init__(
        self, template: Path, state_dir: Path, tmp_path: Path, log: str, timeout: float = 120, options: tuple = ()
    ) -> None:
        env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        env["DUOFLOW_REQUIREMENTS_CACHE"] = str(REQUIREMENTS_CACHE)
        arguments = ["up", str(template), "--port", "0", "--state-dir", str(state_dir), *options]
        super().__init__(arguments, tmp_path, tmp_path / log, env)
        self.wait_for(lambda text: READY in text, "the app deployed", timeout=timeout)
        self.aws_url = re.search(r"^aws endpoint: (\S+)", self.log(), re.M).group(1)
        found = re.search(r"^api: (http\S+)", self.log(), re.M)
        self.api = found.group(1) if found else None

    def until(self, predicate: Any, what: str, timeout: float) -> Any:
        """``wait_until`` that shows the app's output when the condition is not met in time."""
        try:
            return wait_until(predicate, timeout=timeout, what=what)
        except pytest.fail.Exception as failure:
            pytest.fail(
                f"{failure}\n--- duoflow up's output (last 60 lines):\n" + "\n".join(self.log().splitlines()[-60:])
            )

    def aws(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def finished(sfn: Any, execution_arn: str) -> dict | None:
    described = sfn.describe_execution(executionArn=execution_arn)
    return described if described["status"] != "RUNNING" else None


def test_the_sam_stock_trader_runs_its_state_machine_and_keeps_its_state(tmp_path: Path) -> None:
    template = FIXTURES / "sam-step-functions-stock-trader" / "template.yaml"
    state_dir = tmp_path / "state"
    machine = (
        "arn:aws:states:us-east-1:123456789012:stateMachine:sam-step-functions-stock-trader-StockTradingStateMachine"
    )
    table = "sam-step-functions-stock-trader-TransactionTable"
    app = Up(template, state_dir, tmp_path, "first.log")
    try:
        log = app.log()
        assert "function sam-step-functions-stock-trader-StockCheckerFunction: app.lambda_handler" in log
        assert "api: none (the template declares no HttpApi or Api routes)" in log and app.api is None
        # the schedule is listed, not skipped silently
        assert (
            "not deployed: Resources.StockTradingStateMachine.Properties.Events.HourlyTradingSchedule (Schedule event)"
            in log
        )
        sfn = app.aws("stepfunctions")
        execution = sfn.start_execution(stateMachineArn=machine, name="trade-1", input="{}")["executionArn"]
        described = app.until(lambda: finished(sfn, execution), "the trade finished", timeout=60)
        assert described["status"] == "SUCCEEDED", described
        (item,) = app.aws("dynamodb").scan(TableName=table)["Items"]
        # the three functions ran, each its own app.py: the checker's price chose the buyer or the seller
        assert item["Type"]["S"] == ("buy" if int(item["Price"]["N"]) <= 50 else "sell")
        assert 1 <= int(item["Quantity"]["N"]) <= 10
        assert app.stop(signal.SIGINT) == 0
    finally:
        app.close()
    again = Up(template, state_dir, tmp_path, "again.log")
    try:
        assert again.aws("stepfunctions").describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
        assert again.aws("dynamodb").scan(TableName=table)["Items"] == [item]
        assert again.stop(signal.SIGTERM) == 0
    finally:
        again.close()


@pytest.mark.timeout(600)  # the first run installs its requirements.txt from the registry
def test_the_sam_hello_durable_answers_through_its_api(tmp_path: Path) -> None:
    app = Up(FIXTURES / "sam-hello-durable" / "template.yaml", tmp_path / "state", tmp_path, "up.log", timeout=300)
    try:
        assert "durable function sam-hello-durable-HelloWorldFunction (alias Live)" in app.log()
        assert app.call("GET", "/hello") == (200, {"message": "Hello, World!"})
        assert app.call("GET", "/nowhere") == (404, {"message": "Not Found"})
        executions = app.aws("lambda").list_durable_executions_by_function(
            FunctionName="sam-hello-durable-HelloWorldFunction"
        )["DurableExecutions"]
        assert [execution["Status"] for execution in executions] == ["SUCCEEDED"]
        # its requirements.txt was installed for it (the durable SDK it names) in the cache
        installed = [path.parent.name for path in REQUIREMENTS_CACHE.glob("*/aws_durable_execution_sdk_python")]
        assert installed
        assert app.stop(signal.SIGINT) == 0
    finally:
        app.close()


@pytest.mark.slow
@pytest.mark.timeout(600)  # a synth, a start, three loans and an upload (21 s in real time, on a shared machine)
def test_this_projects_cdk_template_runs_the_loan_through_its_api(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    synth = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "app.py")],
        env={
            **os.environ,
            "CDK_OUTDIR": str(cdk_out),
            # the asset holds the project's sources; the runtime already has the libraries they import
            "CDK_CONTEXT_JSON": json.dumps({"bundle_dependencies": False, "nag": False}),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth.returncode == 0, synth.stderr
    # At a tenth of real time (the other apps run in real time, up's default): the fraud service's 5 s take 0.5 s,
    # and its 5-minute timeout 30 s.
    app = Up(
        cdk_out / "duoflow-dev.template.json", tmp_path / "state", tmp_path, "up.log", options=("--time-scale", "0.1")
    )
    try:
        log = app.log()
        assert "durable function duoflow-dev-loan-workflow: durable.loan_workflow.handler.handler" in log
        assert "route POST /apply → duoflow-dev-api:live" in log
        assert "not deployed: authusers6A971296 (AWS::Cognito::UserPool)" in log
        charlie = json.loads((ROOT / "scenarios" / "loan" / "charlie.json").read_text())
        started = {}
        for variant in ("sfn", "hybrid", "durable"):
            status, body = app.call("POST", f"/apply?variant={variant}", charlie["application"])
            assert status == 202, body
            started[variant] = body["application_id"]

        def decided(application_id: str) -> dict | None:
            status, body = app.call("GET", f"/status/{application_id}")
            return body if status == 200 and body.get("outcome") else None

        for variant, application_id in started.items():
            outcome = app.until(lambda a=application_id: decided(a), f"the {variant} loan decided", timeout=120)
            assert (outcome["outcome"], outcome["reason"]) == (
                charlie["expected"]["outcome"],
                charlie["expected"]["reason"],
            ), variant
            assert outcome["disbursement_reference"], variant
        # S3 → EventBridge rule → Lambda: an upload under requests/ starts the training workflow it names
        assert "rule uploadstrainingrequeststraininguploadEC7E4312: objects created in" in log
        training = json.loads((ROOT / "scenarios" / "training" / "hiring-specialist.json").read_text())
        bucket = "duoflow-dev-storagetrainingrequests200ee0b6"
        app.aws("s3").put_object(
            Bucket=bucket,
            Key="requests/up-test-1.json",
            Body=json.dumps(training["request"]),
            Metadata={"variant": "sfn"},
        )
        machine = "arn:aws:states:us-east-1:123456789012:stateMachine:duoflow-dev-training-sfn"
        sfn = app.aws("stepfunctions")
        started = app.until(
            lambda: sfn.list_executions(stateMachineArn=machine)["executions"], "the training started", timeout=60
        )
        assert "up-test-1" in started[0]["name"]
        # Bedrock's Converse, offline: the local screening model scores the request, and the workflow decides
        assert "bedrock converse: answered by duoflow's local screening model" in log
        execution = app.until(lambda: finished(sfn, started[0]["executionArn"]), "the training decided", timeout=120)
        assert execution["status"] == "SUCCEEDED", execution
        decision = json.loads(execution["output"])
        expected = training["expected"]
        assert (decision["band"], decision["outcome"], decision["reason"]) == (
            expected["band"],
            expected["outcome"],
            expected["reason"],
        )
        assert decision["model_id"].startswith("local/")  # credited to the model that scored it, not to Bedrock's
        assert app.stop(signal.SIGINT) == 0
    finally:
        app.close()


def test_a_template_error_names_the_resource_and_property(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n  Orders:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: src/, Runtime: python3.13, Handler: nohandler}\n"
    )
    result = cli(
        "up",
        str(template),
        "--port",
        "0",
        "--state-dir",
        str(tmp_path / "state"),
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    assert "error: Resources.Orders.Properties.Handler: expected module.function" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # a handler whose module fails at import (its cold start): named, with the file and line, and no stack trace
    (tmp_path / "src" / "app.py").write_text(
        "import os\nTABLE = os.environ['TABLE']\ndef handler(event, context): ...\n"
    )
    template.write_text(template.read_text().replace("Handler: nohandler", "Handler: app.handler"))
    state = str(tmp_path / "state")
    arguments = ["up", str(template), "--port", "0", "--state-dir", state, "--stack-name", "shop"]
    result = cli(*arguments, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert (
        "error: function shop-Orders: loading its handler app.handler failed "
        f"({tmp_path / 'src' / 'app.py'}, line 2): KeyError: 'TABLE'"
    ) in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr + result.stdout
    result = cli(
        "up", str(template), "--parameter-overrides", "Stage=prod", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)}
    )
    assert result.returncode == 2
    assert "--parameter-overrides: the template declares no parameter Stage" in " ".join(result.stderr.split())


def wheel(folder: Path, name: str, says: str) -> Path:
    """A minimal pure-Python wheel of one module (installing it needs no index and no build)."""
    path = folder / f"{name}-1.0-py3-none-any.whl"
    files = {
        f"{name}.py": f"SAYS = {says!r}\n",
        f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{name}-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{member},sha256={digest},{len(text.encode())}")
        record.append(f"{name}-1.0.dist-info/RECORD,,")
        archive.writestr(f"{name}-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def test_requirements_are_installed_once_per_content_and_reused_offline(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    wheel(code, "greeting_lib", "hello")
    requirements = code / "requirements.txt"
    requirements.write_text("./greeting_lib-1.0-py3-none-any.whl\n")  # relative to its folder, as `sam build` reads it
    cache = tmp_path / "cache"
    folder = installed_requirements(requirements, cache, "Resources.F.Properties.CodeUri")
    assert (folder / "greeting_lib.py").read_text() == "SAYS = 'hello'\n"
    (code / "greeting_lib-1.0-py3-none-any.whl").unlink()  # nothing left to install from: the cache answers
    assert installed_requirements(requirements, cache, "Resources.F.Properties.CodeUri") == folder
    requirements.write_text("./greeting_lib-1.0-py3-none-any.whl\n# changed\n")  # another content: another install
    with pytest.raises(Exception, match=r"Resources.F.Properties.CodeUri: installing .*requirements.txt failed"):
        installed_requirements(requirements, cache, "Resources.F.Properties.CodeUri")
    assert [path.name for path in cache.iterdir()] == [folder.name]  # the failed install left nothing behind
