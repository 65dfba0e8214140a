"""Fixes to moto 5.2.5 where it departs from AWS in a way our workflows depend on. Each one is small, named,
and guarded by a test in tests/runtime that fails when a moto upgrade changes the patched method."""

from __future__ import annotations

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
    _installed = True
