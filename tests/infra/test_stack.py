"""The synthesized CloudFormation template: what AWS will get, checked against the project's single sources.

One synth per session (conftest.py); every test here reads the same template. Functions against the catalog,
state machine definitions against their ASL files and the domain constants, the API against the routes, the
protections of tables, buckets and topics, least-privilege IAM, cfn-lint, cdk-nag.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from catalog import deployment, outputs
from catalog.specs import ResourceRef
from domain.loan.rules import MANAGER_APPROVAL_THRESHOLD
from domain.training.rules import APPROVE_MIN_SCORE, REVIEW_MIN_SCORE
from infra.config import Settings
from infra.permissions import ANSWERS, calls_bedrock
from services.api.routes import ROLES, ROUTES
from services.scorer.bedrock import DEFAULT_MODEL_ID
from tests.infra.conftest import CONTEXT, listed, of_type, render, statements

SETTINGS = Settings.from_context(CONTEXT)
FUNCTIONS = deployment.functions()
MACHINES = deployment.state_machines()
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


# --- helpers ----------------------------------------------------------------------------------------------------


def function_resource(resources: dict, name: str) -> tuple[str, dict]:
    physical = SETTINGS.physical_name(name)
    found = [
        (logical_id, resource)
        for logical_id, resource in of_type(resources, "AWS::Lambda::Function").items()
        if resource["Properties"].get("FunctionName") == physical
    ]
    assert len(found) == 1, f"expected one function named {physical}, found {len(found)}"
    return found[0]


def alias_of(resources: dict, name: str) -> str:
    """The logical id of the function's live alias."""
    function_id, _ = function_resource(resources, name)
    aliases = [
        logical_id
        for logical_id, resource in of_type(resources, "AWS::Lambda::Alias").items()
        if resource["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(aliases) == 1, f"{name} has {len(aliases)} aliases"
    return aliases[0]


def definition_of(resources: dict, name: str) -> tuple[dict, dict]:
    """The deployed definition (parsed) and its DefinitionSubstitutions."""
    properties = machine_resource(resources, name)["Properties"]
    return json.loads(properties["DefinitionString"]), properties.get("DefinitionSubstitutions", {})


def machine_resource(resources: dict, name: str) -> dict:
    physical = SETTINGS.physical_name(name)
    found = [
        resource
        for resource in of_type(resources, "AWS::StepFunctions::StateMachine").values()
        if resource["Properties"]["StateMachineName"] == physical
    ]
    assert len(found) == 1, f"expected one state machine named {physical}"
    return found[0]


def role_statements(resources: dict, role_id: str) -> list[dict]:
    """Every statement granted to one role: its inline policies and the policies attached to it."""
    found = []
    for logical_id, statement in statements(resources):
        resource = resources[logical_id]
        attached = resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"]["Roles"]
        if logical_id == role_id or attached:
            found.append(statement)
    return found


def actions_of(statement_list: list[dict]) -> set[str]:
    return {action for statement in statement_list for action in listed(statement["Action"])}


def resources_for(statement_list: list[dict], action: str) -> list[Any]:
    return [res for s in statement_list if action in listed(s["Action"]) for res in listed(s["Resource"])]


def function_role(resources: dict, name: str) -> str:
    _, function = function_resource(resources, name)
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def tasks(states: dict) -> list[tuple[str, dict]]:
    found = []
    for name, state in states.items():
        if state["Type"] == "Task":
            found.append((name, state))
        for branch in state.get("Branches", []):
            found.extend(tasks(branch["States"]))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found.extend(tasks(processor["States"]))
    return found


# --- functions ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_catalog_function_is_deployed_as_declared(resources, spec):
    _, function = function_resource(resources, spec.name)
    properties = function["Properties"]
    assert properties["Handler"] == spec.handler
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == spec.memory_mb
    assert properties["Timeout"] == spec.timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}
    if spec.durable:
        assert properties["DurableConfig"] == {
            "ExecutionTimeout": spec.durable_execution_timeout_seconds,
            "RetentionPeriodInDays": spec.durable_retention_days,
        }
    else:
        assert "DurableConfig" not in properties


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_function_has_a_live_alias_on_a_published_version(resources, spec):
    alias = resources[alias_of(resources, spec.name)]["Properties"]
    assert alias["Name"] == "live"
    version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
    assert resources[version_id]["Type"] == "AWS::Lambda::Version"
    assert resources[version_id]["Properties"]["FunctionName"] == {"Ref": function_resource(resources, spec.name)[0]}


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_environment_names_the_deployed_resources(resources, spec):
    variables = function_resource(resources, spec.name)[1]["Properties"].get("Environment", {}).get("Variables", {})
    names = [s.name for s in FUNCTIONS]
    kinds = {"table": "AWS::DynamoDB::Table", "topic": "AWS::SNS::Topic", "bucket": "AWS::S3::Bucket"}
    for key, value in spec.environment.items():
        deployed = render(variables[key])
        callee = value.logical_name if isinstance(value, ResourceRef) else value if value in names else None
        if isinstance(value, ResourceRef) and value.kind in kinds:
            target = deployed.strip("<>").split(".")[0]
            assert resources[target]["Type"] == kinds[value.kind], (key, deployed)
        elif isinstance(value, ResourceRef) and value.kind == "state_machine":
            assert deployed.endswith(f":stateMachine:{SETTINGS.physical_name(value.logical_name)}"), (key, deployed)
        elif callee is not None:  # a function, by ResourceRef or by catalog name: its live alias
            assert deployed.endswith(f":function:{SETTINGS.physical_name(callee)}:live"), (key, deployed)
        else:
            assert deployed == value, key
    if calls_bedrock(spec):
        assert variables["SCORER_MODEL_ID"] == DEFAULT_MODEL_ID


def test_the_code_asset_holds_every_handler(synth, resources):
    keys = {f["Properties"]["Code"]["S3Key"] for f in of_type(resources, "AWS::Lambda::Function").values()}
    asset_dirs = [synth.outdir / f"asset.{key.removesuffix('.zip')}" for key in keys]
    code = [path for path in asset_dirs if (path / "services").is_dir()]
    assert len(code) == 1, "every catalog function shares one code asset"
    for spec in FUNCTIONS:
        module = spec.handler.rpartition(".")[0]
        assert (code[0] / (module.replace(".", "/") + ".py")).is_file(), spec.handler


# --- state machines -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", MACHINES, ids=lambda spec: spec.name)
def test_state_machine_is_standard_logged_and_traced(resources, spec):
    properties = machine_resource(resources, spec.name)["Properties"]
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False  # personal data stays in the execution history
    assert isinstance(properties["DefinitionString"], str), "inlined as one plain string, which cfn-lint validates"


@pytest.mark.parametrize("spec", MACHINES, ids=lambda spec: spec.name)
def test_definition_is_the_asl_file_with_every_placeholder_filled(resources, spec):
    """Domain constants are filled at synth; a placeholder that names a resource is left to CloudFormation's
    DefinitionSubstitutions, which must name that declared resource (a function: its live alias)."""
    deployed, substitutions = definition_of(resources, spec.name)
    text = machine_resource(resources, spec.name)["Properties"]["DefinitionString"]
    assert set(PLACEHOLDER.findall(text)) == set(substitutions), "every placeholder left is substituted"
    for name, value in substitutions.items():
        ref = spec.placeholders[name]
        assert isinstance(ref, ResourceRef), f"{name} is a domain constant, yet left for CloudFormation"
        assert not _compare_reference(ref, value, resources, name)
    mismatches = _compare(json.loads(spec.path.read_text()), deployed, spec, "$")
    assert not mismatches, "\n".join(mismatches)


def _compare(raw: Any, deployed: Any, spec, path: str) -> list[str]:
    if isinstance(raw, dict):  # keys may hold placeholders too (a state named after a threshold)
        keys = {_fill(key, spec): key for key in raw}
        if not isinstance(deployed, dict) or set(keys) != set(deployed):
            return [f"{path}: keys differ: {sorted(set(keys) ^ set(deployed or {}))}"]
        return [
            m for key, raw_key in keys.items() for m in _compare(raw[raw_key], deployed[key], spec, f"{path}.{key}")
        ]
    if isinstance(raw, list):
        if not isinstance(deployed, list) or len(raw) != len(deployed):
            return [f"{path}: lengths differ"]
        return [m for i, item in enumerate(raw) for m in _compare(item, deployed[i], spec, f"{path}[{i}]")]
    if not isinstance(raw, str) or "${" not in raw:
        same = raw == deployed and type(raw) is type(deployed)
        return [] if same else [f"{path}: {deployed!r} != {raw!r}"]
    expected = _fill(raw, spec)
    return [] if expected == deployed else [f"{path}: {deployed!r} != {expected!r}"]


def _fill(text: str, spec) -> str:
    """Domain constants filled in; a placeholder naming a resource stays (CloudFormation substitutes it)."""

    def value(match: re.Match) -> str:
        found = spec.placeholders[match.group(1)]
        return match.group(0) if isinstance(found, ResourceRef) else str(found)

    return PLACEHOLDER.sub(value, text)


def _compare_reference(ref: ResourceRef, value: Any, resources, path: str) -> list[str]:
    if ref.kind == "function":  # always the live alias, by reference: never $LATEST, never a bare name
        expected = {"Ref": alias_of(resources, ref.logical_name)}
        return [] if value == expected else [f"{path}: {value!r} is not {ref.logical_name}'s live alias"]
    kinds = {"table": "AWS::DynamoDB::Table", "topic": "AWS::SNS::Topic", "bucket": "AWS::S3::Bucket"}
    target = value.get("Ref") if isinstance(value, dict) else None
    if target is None or resources.get(target, {}).get("Type") != kinds.get(ref.kind):
        return [f"{path}: {value!r} does not reference a {ref.kind}"]
    return []


@pytest.mark.parametrize("spec", MACHINES, ids=lambda spec: spec.name)
def test_every_task_calls_functions_through_their_alias(resources, spec):
    definition, substitutions = definition_of(resources, spec.name)
    aliases = set(of_type(resources, "AWS::Lambda::Alias"))
    called = [
        state["Arguments"]["FunctionName"]
        for _, state in tasks(definition["States"])
        if ":lambda:invoke" in state["Resource"]
    ]
    assert called, f"{spec.name} calls no function"
    for function_name in called:
        placeholder = PLACEHOLDER.fullmatch(function_name)
        assert placeholder, f"{function_name!r} is not a placeholder for a declared function"
        assert substitutions[placeholder.group(1)].get("Ref") in aliases, function_name


def test_deployed_thresholds_are_the_domain_constants(resources):
    loan = definition_of(resources, "loan-hybrid")[0]["States"]
    assert loan["Manager Approval Required?"]["Choices"][0]["Condition"] == (
        f"{{% $application.loan_amount >= {MANAGER_APPROVAL_THRESHOLD} %}}"
    )
    loan_sfn = json.dumps(definition_of(resources, "loan-sfn")[0])
    assert f">= {MANAGER_APPROVAL_THRESHOLD} %}}" in loan_sfn
    for name in ("training-hybrid", "training-sfn"):
        states = definition_of(resources, name)[0]["States"]
        conditions = [c["Condition"] for s in states.values() if s["Type"] == "Choice" for c in s["Choices"]]
        assert f"{{% $screening.score >= {APPROVE_MIN_SCORE} %}}" in conditions, name
        assert f"{{% $screening.score >= {REVIEW_MIN_SCORE} %}}" in conditions, name


# --- API and auth ---------------------------------------------------------------------------------------------


def test_api_has_every_route_and_role_routes_need_a_token(resources):
    (authorizer_id,) = of_type(resources, "AWS::ApiGatewayV2::Authorizer")
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"] for r in of_type(resources, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {f"{route.method} {route.path}" for route in ROUTES}
    for route in ROUTES:
        deployed = routes[f"{route.method} {route.path}"]
        if route.role:
            assert deployed["AuthorizationType"] == "JWT", route
            assert deployed["AuthorizerId"] == {"Ref": authorizer_id}, route
        else:
            assert deployed["AuthorizationType"] == "NONE", route


def test_jwt_authorizer_trusts_the_user_pool_whose_groups_are_the_roles(resources):
    (authorizer,) = of_type(resources, "AWS::ApiGatewayV2::Authorizer").values()
    (pool_id,) = of_type(resources, "AWS::Cognito::UserPool")
    (client_id,) = of_type(resources, "AWS::Cognito::UserPoolClient")
    jwt = authorizer["Properties"]["JwtConfiguration"]
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert jwt["Audience"] == [{"Ref": client_id}]
    assert re.fullmatch(rf"https://cognito-idp\.<AWS::Region>\.amazonaws\.com/<{pool_id}>", render(jwt["Issuer"]))
    groups = {g["Properties"]["GroupName"] for g in of_type(resources, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(ROLES)
    pool = resources[pool_id]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_api_calls_the_api_function_alias_and_its_stage_is_logged_and_throttled(resources):
    (integration,) = of_type(resources, "AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["IntegrationUri"] == {"Ref": alias_of(resources, "duoflow-api")}
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    assert "DestinationArn" in stage["Properties"]["AccessLogSettings"]
    assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


# --- storage and messaging ------------------------------------------------------------------------------------


def test_tables_have_point_in_time_recovery_and_their_index(resources):
    tables = of_type(resources, "AWS::DynamoDB::Table").values()
    specs = {spec.partition_key: spec for spec in deployment.tables()}
    assert len(tables) == len(specs)
    for table in tables:
        properties = table["Properties"]
        spec = specs[properties["KeySchema"][0]["AttributeName"]]
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert [key["AttributeName"] for key in properties["KeySchema"]] == [
            spec.partition_key,
            *([spec.sort_key] if spec.sort_key else []),
        ]
        indexes = [index["IndexName"] for index in properties.get("GlobalSecondaryIndexes", [])]
        assert indexes == (["pending"] if spec.pending_index else [])
        stream = properties.get("StreamSpecification")
        assert stream == ({"StreamViewType": "NEW_AND_OLD_IMAGES"} if spec.stream else None), spec.name
        if spec.expiry_attribute:  # Powertools' idempotency records expire by DynamoDB's time to live
            assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_buckets_are_encrypted_private_tls_only_and_logged(resources):
    buckets = of_type(resources, "AWS::S3::Bucket")
    policies = {render(p["Properties"]["Bucket"]): p for p in of_type(resources, "AWS::S3::BucketPolicy").values()}
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"], logical_id
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        denies = [
            s for s in policies[f"<{logical_id}>"]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"
        ]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), logical_id


def test_declared_buckets_get_versioning_and_events_as_declared(resources):
    buckets = of_type(resources, "AWS::S3::Bucket")
    declared = deployment.buckets()
    assert len(buckets) == len(declared) + (1 if declared else 0)  # plus the access-log bucket
    listened = {rule.bucket for rule in deployment.upload_rules()}
    for spec in declared:
        name = getattr(spec, "name", spec)
        (bucket,) = [b for lid, b in buckets.items() if lid.startswith("storage" + name.replace("-", ""))]
        properties = bucket["Properties"]
        versioned = properties.get("VersioningConfiguration", {}).get("Status") == "Enabled"
        assert versioned == bool(getattr(spec, "versioned", False)), name
        events = properties.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {})
        assert events.get("EventBridgeEnabled", False) == (
            bool(getattr(spec, "event_bridge", False)) or name in listened
        )
        assert "DestinationBucketName" in properties["LoggingConfiguration"], name


def test_uploads_invoke_their_function_alias_through_eventbridge(resources):
    rules = list(of_type(resources, "AWS::Events::Rule").values())
    assert len(rules) == len(deployment.upload_rules())
    for declared, rule in zip(deployment.upload_rules(), rules, strict=True):
        pattern = rule["Properties"]["EventPattern"]
        assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
        assert pattern["detail"]["object"]["key"] == [{"prefix": declared.prefix}]
        assert [t["Arn"] for t in rule["Properties"]["Targets"]] == [{"Ref": alias_of(resources, declared.function)}]


def test_table_streams_invoke_their_function_alias(resources):
    tables = of_type(resources, "AWS::DynamoDB::Table")
    table_ids = {
        deployment_table.name: table_id
        for deployment_table in deployment.tables()
        for table_id, table in tables.items()
        if table["Properties"]["KeySchema"][0]["AttributeName"] == deployment_table.partition_key
    }
    mappings = list(of_type(resources, "AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == len(deployment.stream_rules())
    for declared, mapping in zip(deployment.stream_rules(), mappings, strict=True):
        properties = mapping["Properties"]
        assert properties["EventSourceArn"] == {"Fn::GetAtt": [table_ids[declared.table], "StreamArn"]}
        # CDK names the alias as "<function name>:live", the name taken from the alias's ARN
        assert {"Ref": alias_of(resources, declared.function)} in properties["FunctionName"]["Fn::Join"][1][0][
            "Fn::Select"
        ][1]["Fn::Split"]
        assert properties["FunctionName"]["Fn::Join"][1][1] == ":live"
        assert (properties["BisectBatchOnFunctionError"], properties["MaximumRetryAttempts"]) == (True, 3)


def test_topics_are_encrypted_and_tls_only(resources):
    topics = of_type(resources, "AWS::SNS::Topic")
    assert len(topics) == len(deployment.topic_names())
    for topic in topics.values():
        assert "alias/aws/sns" in render(topic["Properties"]["KmsMasterKeyId"])
    for policy in of_type(resources, "AWS::SNS::TopicPolicy").values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


# --- IAM ------------------------------------------------------------------------------------------------------


def test_no_policy_statement_has_a_wildcard_action(resources):
    wildcards = [
        (logical_id, action)
        for logical_id, statement in statements(resources)
        for action in listed(statement.get("Action", []))
        if "*" in action
    ]
    assert wildcards == []


def test_workflow_roles_attach_no_managed_policy(resources):
    for name in [s.name for s in FUNCTIONS]:
        assert "ManagedPolicyArns" not in resources[function_role(resources, name)]["Properties"], name


@pytest.mark.parametrize("spec", MACHINES, ids=lambda spec: spec.name)
def test_state_machine_may_invoke_exactly_its_own_functions(resources, spec):
    properties = machine_resource(resources, spec.name)["Properties"]
    role_id = properties["RoleArn"]["Fn::GetAtt"][0]
    invoked = {render(arn) for arn in resources_for(role_statements(resources, role_id), "lambda:InvokeFunction")}
    own = {v.logical_name for v in spec.placeholders.values() if isinstance(v, ResourceRef) and v.kind == "function"}
    assert invoked == {
        f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:{SETTINGS.physical_name(name)}:live"
        for name in own
    }


def test_only_the_functions_that_answer_waits_may_answer_them(resources):
    machine_names = {s.name for s in MACHINES}
    for spec in FUNCTIONS:
        granted = role_statements(resources, function_role(resources, spec.name))
        answers = ANSWERS.get(spec.name)
        task_tokens = {render(r).rpartition(":")[2] for r in resources_for(granted, "states:SendTaskSuccess")}
        expected = {
            SETTINGS.physical_name(m) for m in (answers.task_tokens_of if answers else ()) if m in machine_names
        }
        assert task_tokens == expected, spec.name
        callbacks = {render(r) for r in resources_for(granted, "lambda:SendDurableExecutionCallbackSuccess")}
        expected_callbacks = {
            f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:{SETTINGS.physical_name(f)}:*"
            for f in (answers.durable_callbacks_of if answers else ())
        }
        assert callbacks == expected_callbacks, spec.name


def test_the_loan_services_answer_what_their_code_answers(resources):
    """The fraud service answers durable callbacks and the pure-sfn task token; the API both (manager approval);
    the hybrid's assessment only its own task token; intake answers nothing."""

    def granted(name: str) -> set[str]:
        return actions_of(role_statements(resources, function_role(resources, name)))

    assert {"lambda:SendDurableExecutionCallbackSuccess", "states:SendTaskSuccess"} <= granted("loan-fraud-service")
    assert {"lambda:SendDurableExecutionCallbackSuccess", "states:SendTaskSuccess"} <= granted("duoflow-api")
    assert "states:SendTaskSuccess" in granted("loan-assessment")
    assert "lambda:SendDurableExecutionCallbackSuccess" not in granted("loan-assessment")
    assert not {a for a in granted("loan-intake") if a.startswith("states:") or a.startswith("lambda:")}


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if s.durable], ids=lambda spec: spec.name)
def test_durable_functions_checkpoint_only_their_own_executions(resources, spec):
    granted = role_statements(resources, function_role(resources, spec.name))
    checkpoints = {render(r) for r in resources_for(granted, "lambda:CheckpointDurableExecution")}
    assert checkpoints == {
        f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:{SETTINGS.physical_name(spec.name)}:*"
    }


def test_bedrock_is_granted_only_for_the_configured_model_to_its_callers(resources):
    model = DEFAULT_MODEL_ID.partition(".")[2] if DEFAULT_MODEL_ID.startswith("global.") else DEFAULT_MODEL_ID
    for spec in FUNCTIONS:
        granted = role_statements(resources, function_role(resources, spec.name))
        models = [render(r) for r in resources_for(granted, "bedrock:InvokeModel")]
        if calls_bedrock(spec):
            assert models and all(m.endswith(model) for m in models), (spec.name, models)
        else:
            assert models == [], spec.name


# --- linters --------------------------------------------------------------------------------------------------

# cfn-lint findings that are not problems, each with its reason.
CFN_LINT_FALSE_POSITIVES = {
    # CDK adds DependsOn from a function to its role (and the role's default policy) so the policy exists before
    # the function runs; cfn-lint notes the GetAtt already orders the role. Harmless, and CDK's choice.
    "W3005": re.compile(r"dependency already enforced by a 'GetAtt'"),
    # With "QueryLanguage": "JSONata", TimeoutSeconds may be a JSONata expression ("{% 1800 %}": how the ASL files
    # take a domain constant through a placeholder and stay valid JSON); cfn-lint 1.58's ASL schema wants a number.
    "E3601": re.compile(r"^'\{% \d+ %\}' is not of type 'number' at 'States/.+/TimeoutSeconds'$"),
}


def test_cfn_lint_is_clean(synth):
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(Path(synth.template_path), config=ManualArgs(regions=["us-east-1"]))
    real = [
        f"{m.rule.id} {m.message} (line {m.linenumber})"
        for m in matches
        if not (m.rule.id in CFN_LINT_FALSE_POSITIVES and CFN_LINT_FALSE_POSITIVES[m.rule.id].search(m.message))
    ]
    assert real == []


def test_cdk_nag_aws_solutions_has_no_unacknowledged_finding(synth):
    assert [(f.rule, f.paths) for f in synth.nag_findings] == []


def test_every_acknowledged_finding_names_its_resource_and_reason(resources, template):
    acknowledged = [
        (logical_id, rule)
        for logical_id, resource in resources.items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "the stack acknowledges its documented findings"
    for logical_id, rule in acknowledged:
        assert rule["id"].startswith("AwsSolutions-"), (logical_id, rule)
        assert len(rule["reason"]) >= 40, (logical_id, rule)
    assert "cdk_nag" not in template.get("Metadata", {}), "no stack-wide acknowledgment"


# --- outputs --------------------------------------------------------------------------------------------------


def test_outputs_hold_what_the_benchmark_reads(template, resources, tmp_path):
    values = {key: render(output["Value"]) for key, output in template["Outputs"].items()}
    outputs_file = tmp_path / "cdk-outputs.json"
    outputs_file.write_text(json.dumps({SETTINGS.stack_name: values}))
    deployed = outputs.read_outputs(outputs_file)
    assert set(deployed.state_machine_arns) == {s.name for s in MACHINES}
    assert set(deployed.function_alias_arns) == {s.name for s in FUNCTIONS}
    assert deployed.function_names["loan-workflow"] == f"<{function_resource(resources, 'loan-workflow')[0]}>"
    assert deployed.function_alias_arns["loan-workflow"] == f"<{alias_of(resources, 'loan-workflow')}>"
    assert set(deployed.table_names) == {t.name for t in deployment.tables()}
    assert set(deployed.bucket_names) == set(deployment.bucket_names())
    assert deployed.stage == "test" and deployed.api_url
