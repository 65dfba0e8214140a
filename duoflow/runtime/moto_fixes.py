"""Fixes to moto 5.2.5 where it departs from AWS in a way our workflows depend on. Each one is small, named,
and guarded by a test in tests/runtime that fails when a moto upgrade changes the patched method."""

from __future__ import annotations

import functools
import threading
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        # moto passes only `error` on; AWS keeps `cause` too, and a Catch reads it from $states.errorOutput.
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure
    _answer_only_started_executions()
    _serialize_requests()
    _serialize_object_requests()
    _installed = True


def _serialize_requests() -> None:
    """moto's DynamoDB and SNS backends are plain dicts without locks: a query iterating a table while another
    thread writes to it fails with "dictionary changed size during iteration". AWS serves them concurrently;
    here their requests take turns (neither calls back into Lambda, so one lock cannot deadlock)."""
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler
    from moto.sns.responses import SNSResponse

    lock = threading.RLock()
    base_call_action = BaseResponse.call_action

    for response_class in (DynamoHandler, SNSResponse):
        unlocked = response_class.__dict__.get("call_action", base_call_action)

        def call_action(self: Any, _unlocked: Any = unlocked) -> Any:
            with lock:
                return _unlocked(self)

        response_class.call_action = call_action


def _serialize_object_requests() -> None:
    """moto's S3 ``put_object`` stores the new object, then reads it again for the answer's ETag: if another PUT of
    the same key replaced (and closed) it in between, the answer fails with "I/O operation on closed file". AWS
    serves them concurrently; here requests on objects take turns (their own lock: S3 never waits for DynamoDB)."""
    from moto.s3.responses import S3Response

    lock = threading.RLock()
    unlocked = S3Response.key_response

    @functools.wraps(unlocked)
    def key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        with lock:
            return unlocked(self, request, full_url, headers)

    S3Response.key_response = key_response


def _answer_only_started_executions() -> None:
    """moto looks for a task token in every execution, reading ``execution.exec_worker.env``; an execution
    started a moment ago has no worker environment yet, and the AttributeError aborts the search, so an
    answer for another execution is lost. Search only executions that have one (what moto means to do)."""
    from moto.stepfunctions.parser.api import ExecutionStatus, InvalidToken, TaskDoesNotExist, TaskTimedOut
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackConsumerTimeout,
        CallbackNotifyConsumerError,
        CallbackOutcomeFailure,
        CallbackOutcomeSuccess,
    )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from duoflow.runtime import keep_step_functions

    def callback_pools(backend: Any, status: Any = None):
        for execution in backend._get_executions(status):
            environment = getattr(getattr(execution, "exec_worker", None), "env", None)
            if environment is not None:
                yield environment.callback_pool_manager

    def deliver(backend: Any, task_token: str, answer: Any, status: Any) -> None:
        for pool in callback_pools(backend, status):
            try:
                if answer(pool):
                    return
            except CallbackNotifyConsumerError as consumer_error:
                raise (
                    TaskTimedOut() if isinstance(consumer_error, CallbackConsumerTimeout) else TaskDoesNotExist()
                ) from None
        raise InvalidToken()

    def deliver_journaled(backend: Any, task_token: str, answer: dict, outcome: Any, status: Any) -> None:
        # The answer is journaled first (duoflow/runtime/keep_step_functions.py): once acknowledged it survives a
        # crash, and a task being re-entered after a restart takes it when it registers its token.
        keep_step_functions.journal_answer(task_token, answer)
        try:
            deliver(backend, task_token, lambda pool: pool.notify(callback_id=task_token, outcome=outcome), status)
        except InvalidToken:
            if not keep_step_functions.answer_is_held(task_token):
                raise

    def send_task_success(self: Any, task_token: str, outcome: str) -> Any:
        success = CallbackOutcomeSuccess(callback_id=task_token, output=outcome)
        answer = {"kind": "success", "output": outcome}
        deliver_journaled(self, task_token, answer, success, ExecutionStatus.RUNNING)

    def send_task_failure(self: Any, task_token: str, error: Any = None, cause: Any = None) -> Any:
        failure = CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause)
        answer = {"kind": "failure", "error": error, "cause": cause}
        deliver_journaled(self, task_token, answer, failure, None)

    def send_task_heartbeat(self: Any, task_token: str) -> Any:
        deliver(self, task_token, lambda pool: pool.heartbeat(callback_id=task_token), ExecutionStatus.RUNNING)

    StepFunctionsParserBackend.send_task_success = send_task_success
    StepFunctionsParserBackend.send_task_failure = send_task_failure
    StepFunctionsParserBackend.send_task_heartbeat = send_task_heartbeat
