"""services/common/log.py: the keys of an invocation on each of its lines and on no other invocation's, and nothing
that identifies an applicant in any line, however it was logged."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from services.common.log import HIDDEN, at, logged, logger
from tests.logs import captured_logs


def context(function: str, request_id: str) -> SimpleNamespace:
    return SimpleNamespace(function_name=function, aws_request_id=request_id)


def test_every_line_of_an_invocation_carries_its_keys_and_the_invocation_is_logged_with_its_duration():
    @logged(at("application", "application_id"))
    def handler(event, context):
        logger.info("working")
        return "done"

    with captured_logs() as lines:
        assert handler({"application": {"application_id": "app-1"}}, context("loan-offer", "r-1")) == "done"

    assert [line["message"] for line in lines] == ["invoked", "working", "answered"]
    assert {(line["correlation_id"], line["function"], line["function_request_id"]) for line in lines} == {
        ("app-1", "loan-offer", "r-1")
    }
    assert lines[-1]["duration_ms"] >= 0


def test_a_failure_is_logged_at_error_with_its_cause_and_still_raised():
    @logged(at("request_id"))
    def handler(event, context):
        raise ValueError("the provider said no")

    with captured_logs() as lines, pytest.raises(ValueError):
        handler({"request_id": "req-1"}, context("training-intake", "r-2"))

    [failed] = [line for line in lines if line["level"] == "ERROR"]
    assert failed["message"] == "failed: ValueError: the provider said no"
    assert "ValueError: the provider said no" in failed["exception"] and failed["correlation_id"] == "req-1"


def test_an_event_without_the_id_is_still_handled_and_logged_without_one():
    @logged(at("application", "application_id"))
    def handler(event, context):
        return "validated elsewhere"

    with captured_logs() as lines:
        assert handler([[[]]], context("loan-intake", "r-3")) == "validated elsewhere"
    assert all("correlation_id" not in line for line in lines)


def test_two_invocations_at_once_never_mix_their_keys():
    both_logging = threading.Barrier(2)

    @logged(at("application_id"))
    def handler(event, context):
        both_logging.wait(timeout=5)
        logger.info("in the middle")
        both_logging.wait(timeout=5)

    with captured_logs() as lines:
        threads = [
            threading.Thread(target=handler, args=({"application_id": name}, context("loan-offer", name)))
            for name in ("app-a", "app-b")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(lines) == 6
    assert all(line["correlation_id"] == line["function_request_id"] for line in lines)


def test_what_identifies_an_applicant_is_hidden_however_it_is_logged():
    with captured_logs() as lines:
        logger.info("applicant with sin 4821 applied", extra={"sin_last4": "4821", "annual_income": 85_000})
        logger.info("payload %s", {"sin_last4": "4821", "loan_amount": 25_000})
        logger.info("two payloads %s %s", {"annual_income": 85_000}, "plain")

    assert "4821" not in str(lines) and "85000" not in str(lines)
    assert lines[0]["sin_last4"] == lines[0]["annual_income"] == HIDDEN
    assert "25000" in lines[1]["message"]  # what is not about the applicant stays


def test_the_caller_keys_come_from_the_client_context_lambda_hands_over():
    import base64
    import json as json_module

    from duoflow.runtime.lambda_host import client_context_of
    from services.common.log import caller_keys

    custom = {"sfn_execution_arn": "arn:aws:states:us-east-1:1:execution:loan-sfn:app-1", "variant": "sfn", "n": 1}
    encoded = base64.b64encode(json_module.dumps({"custom": custom}).encode()).decode()
    context = type("Context", (), {"client_context": client_context_of({"X-Amz-Client-Context": encoded})})()
    assert caller_keys(context) == {"sfn_execution_arn": custom["sfn_execution_arn"], "variant": "sfn"}
    # No ClientContext, or one that is not base64 JSON: none, as in Lambda, and no keys.
    assert client_context_of({}) is None and client_context_of({"X-Amz-Client-Context": "%%"}) is None
    assert caller_keys(type("Context", (), {"client_context": None})()) == {}


def test_an_asynchronous_call_passes_on_who_is_calling_in_its_event():
    """Lambda hands a ClientContext to synchronous invocations only: an Event invoke carries the caller's keys in
    the event's log_context, which the callee's lines then carry, and which it passes on in turn."""
    from services.common.log import caller_keys, passed_on_log_context

    execution = "arn:aws:states:us-east-1:1:execution:loan-hybrid:app-1"
    received: dict = {}

    @logged(lambda event: event["id"])
    def fraud_service(event, context):
        received.update(passed_on_log_context())

    event = {"id": "app-1", "log_context": {"sfn_execution_arn": execution, "variant": "hybrid", "other": "x"}}
    with captured_logs() as lines:
        fraud_service(event, context("loan-fraud-service", "r-1"))
    assert all(line["sfn_execution_arn"] == execution and line["variant"] == "hybrid" for line in lines)
    assert received == {"log_context": {"sfn_execution_arn": execution, "variant": "hybrid"}}
    assert passed_on_log_context() == {}  # nothing leaks past the invocation
    # A ClientContext, which Lambda itself handed over, wins over what an event says.
    lambda_context = SimpleNamespace(client_context=SimpleNamespace(custom={"variant": "sfn"}))
    assert caller_keys(lambda_context, {"log_context": {"variant": "durable"}}) == {"variant": "sfn"}
