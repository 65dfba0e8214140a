"""Lambda ``Invoke`` on the local runtime reaches the catalog's Python handlers, with Lambda's surface."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.runtime.conftest import callback_id_of, start_durable, wait_durable_done, wait_until


def test_request_response_returns_the_handler_result(lam):
    response = lam.invoke(FunctionName="double", Payload=json.dumps({"value": 21}))

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"value": 42}


def test_an_explicit_request_response_invocation_returns_the_result(lam):
    explicit = lam.invoke(FunctionName="double", InvocationType="RequestResponse", Payload=json.dumps({"value": 4}))

    assert explicit["StatusCode"] == 200
    assert json.loads(explicit["Payload"].read()) == {"value": 8}


def test_a_raising_handler_gives_an_unhandled_function_error(lam):
    response = lam.invoke(FunctionName="double", Payload=json.dumps({"explode": True}))

    assert response["StatusCode"] == 200  # as in AWS: the invoke succeeded, the function failed
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Boom"
    assert error["errorMessage"] == "asked to explode"
    assert isinstance(error["stackTrace"], list) and error["stackTrace"]


def test_an_unknown_function_is_a_resource_not_found_client_error(lam):
    with pytest.raises(ClientError) as raised:
        lam.invoke(FunctionName="no-such-function", Payload=b"{}")

    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_event_invocation_returns_202_and_runs_the_handler_in_the_background(lam):
    # A durable execution waits on a callback; an Event-invoked plain function answers it.
    execution = start_durable(lam, "await-callback", {"timeout_minutes": 60})
    callback_id = callback_id_of(lam, execution, "nobody create callback id")

    response = lam.invoke(
        FunctionName="answer-callback",
        InvocationType="Event",
        Payload=json.dumps({"callback_id": callback_id, "value": 7}),
    )

    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    assert "FunctionError" not in response
    done = wait_durable_done(lam, execution)
    assert done["Status"] == "SUCCEEDED"
    assert json.loads(done["Result"]) == {"answer": {"echo": 7}}


def test_event_invocation_does_not_block_on_the_handler(lam, runtime):
    before = len(runtime.lambdas.invocations)

    response = lam.invoke(FunctionName="double", InvocationType="Event", Payload=json.dumps({"explode": True}))

    # The handler's failure is not the caller's: an Event invoke reports only that it was queued.
    assert response["StatusCode"] == 202
    assert "FunctionError" not in response
    record = wait_until(
        lambda: next(
            (
                r
                for r in runtime.lambdas.invocations[before:]
                if (r.function_name, r.invocation_type) == ("double", "Event")
            ),
            None,
        )
    )
    assert record.error == "Boom"


@pytest.mark.parametrize(
    "reference",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:double",
        "arn:aws:lambda:us-east-1:123456789012:function:double:live",
        "double:live",
    ],
    ids=["function-arn", "qualified-arn", "name-alias"],
)
def test_invoking_by_arn_or_alias_reaches_the_handler(lam, runtime, reference):
    assert runtime.function_arn("double") == "arn:aws:lambda:us-east-1:123456789012:function:double"

    response = lam.invoke(FunctionName=reference, Payload=json.dumps({"value": 5}))

    assert response["StatusCode"] == 200
    assert json.loads(response["Payload"].read()) == {"value": 10}


def test_invoking_with_a_qualifier_reaches_the_handler(lam):
    response = lam.invoke(FunctionName="double", Qualifier="live", Payload=json.dumps({"value": 6}))

    assert json.loads(response["Payload"].read()) == {"value": 12}


def test_each_plain_invocation_is_recorded_with_its_duration(lam, runtime):
    before = len(runtime.lambdas.invocations)
    began = time.time()

    lam.invoke(FunctionName="double", Payload=json.dumps({"value": 1}))
    lam.invoke(FunctionName="double", Payload=json.dumps({"explode": True}))
    lam.invoke(FunctionName="flaky", Payload=json.dumps({"key": "recorded"}))

    # (Event invocations of earlier tests may still be finishing in the background; this test's are synchronous.)
    records = [r for r in runtime.lambdas.invocations[before:] if r.invocation_type == "RequestResponse"]
    assert [(r.function_name, r.invocation_type, r.error) for r in records] == [
        ("double", "RequestResponse", None),
        ("double", "RequestResponse", "Boom"),
        ("flaky", "RequestResponse", None),
    ]
    for record in records:
        assert began <= record.started_at <= time.time()
        assert 0 < record.duration_ms < 1000


def test_durable_invocations_are_not_recorded_as_plain_invocations(lam, runtime):
    before = len(runtime.lambdas.invocations)

    start_durable(lam, "await-callback", {"timeout_minutes": 60})

    assert [r.function_name for r in runtime.lambdas.invocations[before:]] == []
