"""Reading SAM and CloudFormation templates (duoflow/templates/): the YAML short forms, the intrinsic functions,
parameters and Globals, each resource's local name, and errors that name the resource and property."""

from __future__ import annotations

from pathlib import Path

import pytest

from duoflow.templates.errors import TemplateError
from duoflow.templates.loader import parse_template
from duoflow.templates.plan import plan_template
from duoflow.templates.template import Template, parse_overrides

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"


def template(text: str, directory: Path = FIXTURES, overrides: dict[str, str] | None = None) -> Template:
    return Template(parse_template(text), directory, "shop", overrides)


def test_short_form_tags_become_the_long_form():
    document = parse_template(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  T:
    Type: AWS::SNS::Topic
    Properties:
      A: !Ref X
      B: !GetAtt Fn.Arn
      C: !Sub "${AWS::Region}-x"
      D: !Sub ["${V}", {V: !Ref X}]
      E: !Join [",", [a, !Select [1, [b, c]]]]
      F: !If [Cond, big, small]
      G: !Equals [a, b]
      H: !GetAtt [Fn, Arn]
"""
    )
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"  # a string, as CloudFormation reads it
    properties = document["Resources"]["T"]["Properties"]
    assert properties["A"] == {"Ref": "X"}
    assert properties["B"] == properties["H"] == {"Fn::GetAtt": ["Fn", "Arn"]}
    assert properties["C"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert properties["D"] == {"Fn::Sub": ["${V}", {"V": {"Ref": "X"}}]}
    assert properties["E"] == {"Fn::Join": [",", ["a", {"Fn::Select": [1, ["b", "c"]]}]]}
    assert properties["F"] == {"Fn::If": ["Cond", "big", "small"]}
    assert properties["G"] == {"Fn::Equals": ["a", "b"]}


def test_json_templates_and_unreadable_ones():
    assert parse_template('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')["Resources"]["Q"]
    with pytest.raises(TemplateError, match=r"not valid YAML: .*line 4"):
        parse_template("Resources:\n  Q:\n   - [unclosed\n")
    with pytest.raises(TemplateError, match="Resources: missing or empty"):
        parse_template("Description: nothing\n")


def test_intrinsics_resolve_against_parameters_pseudo_parameters_and_resources():
    t = template(
        """
Parameters:
  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Sizes: {Type: CommaDelimitedList, Default: "s,m,l"}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Mappings:
  Memory: {dev: {mb: 128}, prod: {mb: 1024}}
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-${Stage}-orders"
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  Events:
    Type: AWS::SNS::Topic
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: a
          Value: !Join ["/", [!Ref Orders, !GetAtt Orders.Arn, !Ref Events, !Ref Jobs]]
        - Key: b
          Value: !Sub
            - "${Name} ${Events.TopicName} ${!Literal} ${AWS::Region} ${AWS::AccountId}"
            - Name: !Select [1, !Ref Sizes]
        - Key: c
          Value: !If [IsProd, big, !FindInMap [Memory, !Ref Stage, mb]]
        - !If [IsProd, {Key: d, Value: x}, !Ref AWS::NoValue]
        - Key: e
          Value: !Select [0, !Split ["-", !Ref AWS::StackName]]
""",
        overrides={},
    )
    tags = t.prop("Jobs", "Tags")
    assert tags[0]["Value"] == (
        "shop-dev-orders/arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-orders/"
        "arn:aws:sns:us-east-1:123456789012:shop-Events/https://sqs.us-east-1.amazonaws.com/123456789012/shop-Jobs"
    )
    assert tags[1]["Value"] == "m shop-Events ${Literal} us-east-1 123456789012"
    assert tags[2]["Value"] == 128
    assert [tag["Key"] for tag in tags] == ["a", "b", "c", "e"]  # AWS::NoValue left the item out
    assert tags[3]["Value"] == "shop"


def test_parameter_overrides_are_checked():
    text = (
        "Parameters:\n  Stage: {Type: String, AllowedValues: [dev, prod]}\nResources:\n  Q: {Type: AWS::SQS::Queue}\n"
    )
    assert template(text, overrides=parse_overrides(["Stage=prod"])).parameters == {"Stage": "prod"}
    assert parse_overrides(["A=1 B=2", "ParameterKey=C,ParameterValue=x=y"]) == {"A": "1", "B": "2", "C": "x=y"}
    with pytest.raises(TemplateError, match=r"Parameters.Stage: has no Default"):
        template(text)
    with pytest.raises(TemplateError, match=r"'test' is not one of AllowedValues"):
        template(text, overrides={"Stage": "test"})
    with pytest.raises(TemplateError, match=r"--parameter-overrides: the template declares no parameter Nope"):
        template(text, overrides={"Stage": "dev", "Nope": "1"})
    with pytest.raises(TemplateError, match=r"'oops': expected Key=Value"):
        parse_overrides(["oops"])


def test_errors_name_the_resource_and_property():
    t = template(
        """
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Missing
      DelaySeconds: !GetAtt Topic.Nope
  Topic:
    Type: AWS::SNS::Topic
"""
    )
    with pytest.raises(TemplateError) as missing:
        t.prop("Q", "QueueName")
    assert str(missing.value) == (
        "Resources.Q.Properties.QueueName.Ref: Ref Missing: no parameter or resource of that name in the template"
    )
    with pytest.raises(TemplateError) as attribute:
        t.prop("Q", "DelaySeconds")
    assert attribute.value.where == "Resources.Q.Properties.DelaySeconds.Fn::GetAtt"
    assert "does not know AWS::SNS::Topic's Nope" in attribute.value.problem


def test_globals_merge_into_functions_and_sam_implicit_resources_resolve(tmp_path):
    (tmp_path / "src").mkdir()
    t = template(
        """
Globals:
  Function:
    Runtime: python3.13
    Timeout: 30
    Environment:
      Variables: {LEVEL: INFO, SHARED: global}
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Environment:
        Variables:
          SHARED: mine
          WORKER: !Ref WorkerAliaslive
          WORKER_VERSION: !Ref Worker.Version
          ROLE: !GetAtt WorkerRole.Arn
      Events:
        Get: {Type: HttpApi, Properties: {Path: "/items/{id}", Method: get}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: worker
      CodeUri: src/
      Handler: worker.handler
      Timeout: 300
      AutoPublishAlias: live
      DurableConfig: {ExecutionTimeout: 3600, RetentionPeriodInDays: 3}
  Node:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: index.handler, Runtime: nodejs22.x}
""",
        directory=tmp_path,
    )
    plan = plan_template(t)
    api, worker = plan.functions
    assert api.environment == {
        "LEVEL": "INFO",
        "SHARED": "mine",
        "WORKER": "arn:aws:lambda:us-east-1:123456789012:function:worker:live",
        "WORKER_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:worker:1",
        "ROLE": "arn:aws:iam::123456789012:role/shop-WorkerRole",
    }
    assert (api.name, api.timeout_seconds, api.code_dir) == ("shop-Api", 30, tmp_path / "src")
    assert (worker.timeout_seconds, worker.durable_execution_timeout_seconds, worker.durable_retention_days) == (
        300,
        3600,
        3,
    )
    assert [(route.route_key, route.function, route.payload_version) for route in plan.routes] == [
        ("GET /items/{id}", "shop-Api", "2.0")
    ]
    assert [(left.where, left.type) for left in plan.unsupported] == [
        ("Resources.Api.Properties.Events.Queue", "SQS event"),
        ("Node", "AWS::Serverless::Function"),
    ]


def test_a_function_error_names_its_property(tmp_path):
    text = """
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: nowhere/, Handler: app.handler, Runtime: python3.13}
"""
    with pytest.raises(TemplateError, match=r"Resources.F.Properties.CodeUri: no folder .*nowhere"):
        plan_template(template(text, directory=tmp_path))
    (tmp_path / "src").mkdir()
    reserved = text.replace("nowhere/", "src/").replace(
        "Runtime: python3.13", "Runtime: python3.13, Environment: {Variables: {AWS_REGION: x}}"
    )
    with pytest.raises(TemplateError, match=r"Resources.F.Properties.Environment.Variables.AWS_REGION: reserved"):
        plan_template(template(reserved, directory=tmp_path))


def test_state_machine_definitions_get_their_substitutions():
    directory = FIXTURES / "sam-step-functions-stock-trader"
    t = Template(parse_template((directory / "template.yaml").read_text()), directory, "trader")
    plan = plan_template(t)
    (machine,) = plan.state_machines
    assert machine.name == "trader-StockTradingStateMachine"
    assert (
        '"Resource": "arn:aws:lambda:us-east-1:123456789012:function:trader-StockCheckerFunction"' in machine.definition
    )
    assert '"TableName": "trader-TransactionTable"' in machine.definition
    assert '"Resource": "arn:aws:states:::dynamodb:putItem"' in machine.definition
    assert [table.arguments["KeySchema"] for table in plan.tables] == [[{"AttributeName": "Id", "KeyType": "HASH"}]]
    assert [left.type for left in plan.unsupported] == ["Schedule event"]  # listed, not skipped silently


def test_an_s3_object_created_rule_becomes_an_upload_route_and_other_rules_are_listed(tmp_path):
    (tmp_path / "src").mkdir()
    t = template(
        """
Resources:
  Uploads: {Type: AWS::S3::Bucket, Properties: {NotificationConfiguration: {EventBridgeConfiguration: {EventBridgeEnabled: true}}}}
  OnUpload:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        source: [aws.s3]
        detail-type: [Object Created]
        detail: {bucket: {name: [!Ref Uploads]}, object: {key: [{prefix: in/}]}}
      Targets: [{Arn: !GetAtt Handler.Arn, Id: t0}]
  Nightly:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: rate(1 day), Targets: [{Arn: !GetAtt Handler.Arn, Id: t0}]}
  Handler:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: app.handler, Runtime: python3.13}
""",
        directory=tmp_path,
    )
    plan = plan_template(t)
    assert [(rule.bucket, rule.prefix, rule.function) for rule in plan.upload_rules] == [
        ("shop-uploads", "in/", "shop-Handler")
    ]
    assert plan.buckets[0].event_bridge
    assert [(left.where, left.type) for left in plan.unsupported] == [("Nightly", "AWS::Events::Rule")]


def test_an_http_apis_cors_configuration_reaches_its_routes(tmp_path):
    (tmp_path / "src").mkdir()
    t = template(
        """
Globals:
  HttpApi:
    CorsConfiguration: {AllowHeaders: [Content-Type]}
Resources:
  LoanApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration: {AllowOrigins: ["*"], AllowMethods: [GET, POST, OPTIONS]}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Apply: {Type: HttpApi, Properties: {ApiId: !Ref LoanApi, Path: /apply, Method: POST}}
        Legacy: {Type: Api, Properties: {Path: /old, Method: GET}}
""",
        directory=tmp_path,
    )
    apply, legacy = plan_template(t).routes
    assert (apply.cors.allow_origins, apply.cors.allow_methods, apply.cors.allow_headers) == (
        ("*",),
        ("GET", "POST", "OPTIONS"),
        ("Content-Type",),  # from Globals, merged into the API's own
    )
    assert legacy.cors is None


def test_a_functions_layers_come_after_its_code_on_its_import_path(tmp_path):
    from duoflow.templates.deploy import function_catalog

    (tmp_path / "src").mkdir()
    (tmp_path / "shared" / "python").mkdir(parents=True)
    (tmp_path / "plain").mkdir()
    t = template(
        """
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: shared/}
  Plain:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: plain/}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Layers:
        - !Ref Shared
        - !Ref Plain
        - !Sub arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-x86_64:7
""",
        directory=tmp_path,
    )
    plan = plan_template(t)
    assert plan.functions[0].layers == (tmp_path / "shared", tmp_path / "plain")
    (spec,) = function_catalog(plan, tmp_path / "cache")
    assert spec.code_paths == (str(tmp_path / "src"), str(tmp_path / "shared" / "python"), str(tmp_path / "plain"))
    assert plan.notes == [
        "Resources.Fn.Properties.Layers[2]: arn:aws:lambda:us-east-1:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python313-x86_64:7 is not on this machine; Fn imports what duoflow's Python has"
    ]
    assert not plan.unsupported
