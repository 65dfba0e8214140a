"""Tests for wait_for_callback_anonymous."""

import json

import pytest
from aws_durable_execution_sdk_python.execution import InvocationStatus

from src.wait_for_callback import wait_for_callback_anonymous
from test.conftest import deserialize_operation_payload


@pytest.mark.example
@pytest.mark.durable_execution(
    handler=wait_for_callback_anonymous.handler,
    lambda_function_name="Wait For Callback Success Anonymous",
)
def test_handle_basic_wait_for_callback_with_anonymous_submitter(durable_runner):
    """Test basic waitForCallback with anonymous submitter."""
    with durable_runner:
        execution_arn = durable_runner.run_async(input=None, timeout=30)
        callback_id = durable_runner.wait_for_callback(execution_arn=execution_arn)
        callback_result = json.dumps({"data": "callback_completed"})
        durable_runner.send_callback_success(
            callback_id=callback_id, result=callback_result.encode()
        )

        result = durable_runner.wait_for_result(execution_arn=execution_arn)

    assert result.status is InvocationStatus.SUCCEEDED

    result_data = deserialize_operation_payload(result.result)

    assert result_data == {
        "callbackResult": callback_result,
        "completed": True,
    }

    # Verify operations were tracked
    assert len(result.operations) > 0
