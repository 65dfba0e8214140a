"""``duoflow bench --target aws`` against the local runtime's endpoints: the deployed-stack code path (outputs
file → names and ARNs → the same cases through the same code) runs here, since no account is reachable."""

from __future__ import annotations

import json

import pytest

from catalog import deployment, outputs
from duoflow.bench.pricing import PriceTable
from duoflow.bench.target import DeployedTarget, bench_deployed
from duoflow.runtime import ResourceRef
from duoflow.scenarios import loan_cases


def outputs_file_of(runtime, path):
    """What ``cdk deploy --outputs-file`` would write for a stack whose resources are the local runtime's."""
    values = {
        outputs.REGION: runtime.region,
        outputs.STAGE: "local",
        outputs.API_URL: "http://127.0.0.1:8000/",
        outputs.USER_POOL_ID: "local-pool",
        outputs.USER_POOL_CLIENT_ID: "local-client",
    }
    for spec in deployment.functions():
        values[outputs.function_name_key(spec.name)] = spec.name
        values[outputs.function_alias_arn_key(spec.name)] = runtime.function_arn(spec.name)
    for spec in deployment.state_machines():
        values[outputs.state_machine_arn_key(spec.name)] = runtime.resolve(
            ResourceRef("state_machine", spec.name, "arn")
        )
    for spec in deployment.tables():
        values[outputs.table_name_key(spec.name)] = spec.name
    for name in deployment.topic_names():
        values[outputs.topic_arn_key(name)] = runtime.resolve(ResourceRef("topic", name, "arn"))
    for name in deployment.bucket_names():
        values[outputs.bucket_name_key(name)] = runtime.resolve(ResourceRef("bucket", name))
    path.write_text(json.dumps({"duoflow-local": values, "CDKToolkit": {}}))
    return path


@pytest.fixture
def deployed(runtime, tmp_path):
    return DeployedTarget(outputs.read_outputs(outputs_file_of(runtime, tmp_path / "cdk-outputs.json")))


def test_the_deployed_target_names_what_the_stack_deployed(runtime, deployed):
    assert deployed.resolve(ResourceRef("function", "duoflow-api")) == "duoflow-api"
    assert deployed.resolve(ResourceRef("function", "loan-assessment", "arn")) == runtime.function_arn(
        "loan-assessment"
    )
    hybrid = runtime.resolve(ResourceRef("state_machine", "loan-hybrid", "arn"))
    assert deployed.resolve(ResourceRef("state_machine", "loan-hybrid", "arn")) == hybrid
    with pytest.raises(KeyError, match="has no state_machine 'loan-nowhere'"):
        deployed.resolve(ResourceRef("state_machine", "loan-nowhere", "arn"))


def test_bench_on_a_deployed_stack_runs_every_variant_and_reads_the_histories(deployed):
    cases = loan_cases(["charlie", "bob"])

    report = bench_deployed(
        deployed, cases, ["sfn", "durable", "hybrid"], runs=1, concurrency=1, prices=PriceTable.load()
    )

    assert report["target"]["stack"] == "duoflow-local"
    assert set(report["variants"]) == {"sfn", "durable", "hybrid"}
    sfn, durable, hybrid = (report["variants"][name] for name in ("sfn", "durable", "hybrid"))
    assert sfn["state_transitions"] > hybrid["state_transitions"] > 0 == durable["state_transitions"]
    assert durable["durable_operations"] > 0 and hybrid["durable_operations"] > 0 == sfn["durable_operations"]
    assert all(figures["runs"] == len(cases) and figures["p50_ms"] > 0 for figures in report["variants"].values())
    assert report["not_measured"] == ["lambda_gb_seconds", "durable_bytes_written"]
