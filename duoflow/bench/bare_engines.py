"""The two stock engines, each alone, on the hybrid loan's happy path (Charlie, $25,000): the yardstick for the
integrated runtime's overhead.

* **durable**: ``durable/loan_assessment`` on the durable testing SDK's own ``DurableFunctionTestRunner``
  (stock settings, except a 1 ms result poll so its latency is not rounded up to the default 1 s), with the
  side effects in memory and the real fraud service answering its callback at once, from another thread.
* **asl**: ``statemachines/loan.asl.json`` on moto's stock Step Functions engine with moto's own trivial Lambdas
  (``awslambda_simple``: each Lambda task returns its input); the trivial assessment Lambda answers its task
  token at once, from another thread, with the assessment the rules give. Stock moto evaluates no JSONata (its
  evaluator is an empty stub), so the JSONata bridge is installed, and nothing else of duoflow's runtime. The end is
  seen by reading the execution's status from moto's backend every millisecond, as the integrated runtime's watcher
  reads it.

Each engine runs in a fresh interpreter (``python -m duoflow.bench.bare_engines durable|asl RUNS``) so none of
the runtime's patches (duoflow/runtime/patches/) is in place; it prints its latencies as JSON.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from domain.loan.models import FraudCheckOutcome, LoanApplication
from domain.loan.rules import assess_credit, assessment_after_fraud_check
from services.simulated.credit_bureaus import simulated_credit_report
from services.simulated.loan_fraud_service import screen_for_fraud

ENGINES = ("durable", "asl")
WARM_UP_RUNS = 3  # runs not counted: imports, first parses, first clients
CHARLIE = {
    "application_id": "bare-charlie",
    "applicant_name": "Charlie Wilson",
    "sin_last4": "3333",
    "annual_income": 70000.0,
    "loan_amount": 25000.0,
    "loan_purpose": "car",
}


def measure(engine: str, runs: int) -> list[float]:
    """Latencies (ms) of ``runs`` runs on one stock engine, measured in a fresh interpreter."""
    completed = subprocess.run(
        [sys.executable, "-m", "duoflow.bench.bare_engines", engine, str(runs)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the bare {engine} benchmark failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])["latencies_ms"]


def overhead_figures(
    hybrid_latencies: list[float], durable: list[float], asl: list[float], hybrid_cpu: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ratio the issue asks for: hybrid p50 / (durable p50 + ASL p50); below 1.0 the integrated runtime beats
    the two stock engines run one after the other. ``hybrid_cpu``: where a hybrid run's CPU went
    (duoflow/bench/cpu_split.py), kept as it is."""
    hybrid_p50, durable_p50, asl_p50 = (statistics.median(values) for values in (hybrid_latencies, durable, asl))
    return {
        "hybrid_p50_ms": round(hybrid_p50, 1),
        "bare_durable_p50_ms": round(durable_p50, 1),
        "bare_asl_p50_ms": round(asl_p50, 1),
        "ratio": round(hybrid_p50 / (durable_p50 + asl_p50), 2),
        "runs": len(hybrid_latencies),
        "latencies_ms": {
            "hybrid": [round(value, 1) for value in hybrid_latencies],
            "bare_durable": [round(value, 1) for value in durable],
            "bare_asl": [round(value, 1) for value in asl],
        },
        **({"hybrid_cpu": hybrid_cpu} if hybrid_cpu is not None else {}),
    }


def _expected_assessment(application: dict[str, Any]) -> dict[str, Any]:
    loan = LoanApplication.model_validate(application)
    reports = [simulated_credit_report(bureau, loan.sin_last4) for bureau in ("equifax", "transunion", "experian")]
    fraud = FraudCheckOutcome.answered(screen_for_fraud(loan))
    assessment = assessment_after_fraud_check(loan, assess_credit(loan, reports), fraud)
    return assessment.model_dump(mode="json")


# --- the durable testing runner, alone -------------------------------------------------------------------------


def _bare_durable(runs: int) -> list[float]:
    import os

    from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

    from durable.loan_assessment.handler import assess_for_the_workflow
    from durable.wiring import durable_handler
    from services.common import bootstrap
    from services.common.notifier import InMemoryNotifier
    from services.common.progress import InMemoryProgressLog
    from services.common.reply_to import ReplyTo
    from services.simulated import loan_fraud_service as fraud_service
    from services.simulated.credit_bureaus import SimulatedCreditBureaus

    # No AWS is reached: every client below is replaced; the region only lets the defaults be built.
    os.environ.update(
        FRAUD_SERVICE_FUNCTION="loan-fraud-service", FRAUD_DELAY_SECONDS="0", AWS_DEFAULT_REGION="us-east-1"
    )

    class LambdaInMemory:
        """The fraud request reaches the real fraud service, which answers on its own thread."""

        def invoke(self, FunctionName: str, InvocationType: str, Payload: str) -> dict[str, Any]:  # noqa: N803
            event = json.loads(Payload)
            application, reply_to = LoanApplication.model_validate(event["application"]), ReplyTo.from_fields(event)
            threading.Thread(target=fraud_service.answer_fraud_check, args=(adapters, application, reply_to)).start()
            return {"StatusCode": 202}

        def send_durable_execution_callback_success(self, CallbackId: str, Result: bytes) -> None:  # noqa: N803
            runner.send_callback_success(CallbackId, Result)

    class StepFunctionsInMemory:
        def send_task_success(self, taskToken: str, output: str) -> dict[str, Any]:  # noqa: N803
            return {}

    adapters = bootstrap.bootstrap(
        progress=InMemoryProgressLog(),
        applicant_notifier=InMemoryNotifier(),
        manager_notifier=InMemoryNotifier(),
        bureaus=SimulatedCreditBureaus(),
        lambda_client=LambdaInMemory(),
        sfn_client=StepFunctionsInMemory(),
    )
    runner = DurableFunctionTestRunner(
        handler=durable_handler(assess_for_the_workflow, adapters=lambda: adapters), poll_interval=0.001
    )
    latencies = []
    try:
        for run in range(WARM_UP_RUNS + runs):
            application = {**CHARLIE, "application_id": f"bare-charlie-{run}"}
            began = time.perf_counter()
            arn = runner.run_async(
                input=json.dumps({"task_token": f"token-{run}", "application": application}),
                execution_name=application["application_id"],
                timeout=60,
            )
            result = runner.wait_for_result(arn, timeout=60)
            elapsed = (time.perf_counter() - began) * 1000
            if json.loads(result.result)["decision"] != "approved":
                raise RuntimeError(f"the bare durable run ended {result.result}")
            if run >= WARM_UP_RUNS:
                latencies.append(elapsed)
    finally:
        runner.close()
    return latencies


# --- moto's Step Functions engine, alone -----------------------------------------------------------------------


def _bare_asl(runs: int) -> list[float]:
    import boto3
    from moto import mock_aws

    from catalog.state_machines import LOAN_HYBRID, asl_with_placeholders
    from duoflow.runtime import jsonata_bridge

    region, account = "us-east-1", "123456789012"
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        jsonata_bridge.install()
        dynamodb, sns, sfn = (boto3.client(name, region_name=region) for name in ("dynamodb", "sns", "stepfunctions"))
        dynamodb.create_table(
            TableName="loan-progress",
            KeySchema=[
                {"AttributeName": "application_id", "KeyType": "HASH"},
                {"AttributeName": "entry", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "application_id", "AttributeType": "S"},
                {"AttributeName": "entry", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        topic_arn = sns.create_topic(Name="applicant-notifications")["TopicArn"]

        def resolve(ref: Any) -> str:
            if ref.kind == "function":
                return f"arn:aws:lambda:{region}:{account}:function:{ref.logical_name}"
            return topic_arn if ref.kind == "topic" else ref.logical_name

        values = {
            key: resolve(value) if hasattr(value, "kind") else value for key, value in LOAN_HYBRID.placeholders.items()
        }
        machine_arn = sfn.create_state_machine(
            name="loan-hybrid-bare",
            definition=asl_with_placeholders(LOAN_HYBRID.path.read_text(), values),
            roleArn=f"arn:aws:iam::{account}:role/bare",
        )["stateMachineArn"]
        assessment = json.dumps(_expected_assessment(CHARLIE))
        _assessment_answers_its_token(lambda token: sfn.send_task_success(taskToken=token, output=assessment))
        latencies = []
        for run in range(WARM_UP_RUNS + runs):
            application = {**CHARLIE, "application_id": f"bare-charlie-{run}"}
            began = time.perf_counter()
            execution_arn = sfn.start_execution(
                stateMachineArn=machine_arn, name=application["application_id"], input=json.dumps(application)
            )["executionArn"]
            status = _wait_for_end(execution_arn)
            elapsed = (time.perf_counter() - began) * 1000
            if status != "SUCCEEDED":
                raise RuntimeError(f"the bare ASL run ended {status}")
            if run >= WARM_UP_RUNS:
                latencies.append(elapsed)
        return latencies


def _assessment_answers_its_token(answer: Any) -> None:
    """moto's trivial Lambda, for the assessment function only: it also answers the task token it is given."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    trivial = LambdaSimpleBackend.invoke

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> Any:
        if function_name.endswith(":loan-assessment"):
            threading.Thread(target=answer, args=(json.loads(body)["task_token"],)).start()
        return trivial(self, function_name, qualifier, body, headers, response_headers)

    LambdaSimpleBackend.invoke = invoke


def _wait_for_end(execution_arn: str, deadline_seconds: float = 30) -> str:
    """Every millisecond, the execution's status read from moto's backend in-process, as the integrated runtime's
    watcher reads it (``LocalRuntime.execution_status``): a DescribeExecution through boto3 and stock moto costs
    about a millisecond of CPU here, so polling with it every millisecond took half the interpreter from the run it
    measured (the latency doubled on a slow machine)."""
    from moto.stepfunctions.responses import get_backend

    region, account = execution_arn.split(":")[3:5]
    backend = get_backend(account, region)  # moto's parser backend: it runs the executions
    deadline = time.perf_counter() + deadline_seconds
    while time.perf_counter() < deadline:
        status = backend.describe_execution(execution_arn).status
        if status != "RUNNING":
            return status
        time.sleep(0.001)
    raise RuntimeError("the bare ASL run did not end")


def main(argv: list[str]) -> None:
    engine, runs = argv[0], int(argv[1])
    latencies = _bare_durable(runs) if engine == "durable" else _bare_asl(runs)
    print(json.dumps({"engine": engine, "latencies_ms": [round(value, 2) for value in latencies]}))


if __name__ == "__main__":
    main(sys.argv[1:])
