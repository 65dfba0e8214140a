"""What an on-call engineer does to an execution from the console, each as the AWS API does it:

    POST /console/api/recovery/redrive       {"arn": ...}  a failed, timed-out or stopped Step Functions execution
                                                          continues from the state that failed (RedriveExecution)
    POST /console/api/recovery/start-again   {"arn": ...}  a new Step Functions execution, same state machine, same input
    POST /console/api/recovery/rerun         {"arn": ...}  a new durable execution, same function, same input
    POST /console/api/recovery/stop          {"arn": ...}  a running execution stops (StopExecution; for a durable one
                                                          StopDurableExecution); stopping a hybrid also stops the
                                                          durable executions its Tasks are waiting for

Each needs a signed-in role (the console's tokens: 401 without one, 403 for a token with no role) and is recorded in
the audit trail of the loan application or training request the execution is about — who did what to which
execution — so ``duoflow audit ID`` and the console's audit export show it. Refusals name what is wrong: 400 the
field, 404 no such execution, 409 an execution in the wrong state for the action (with what to do instead).

A redrive continues from the state the execution entered last and never left (Step Functions' rule). duoflow's
state machines catch an error and end in their Fail state ("Loan Processing Failed"): for such a run that state is
the Fail state, and a redrive would only fail again, so it is refused 409 with the advice to start it again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from catalog.functions import PROGRESS_TABLE, TRAINING
from domain.validation import InputInvalid, read_json_body, unknown_fields
from duoflow.console.executions import STATUS_GROUPS, scenario_of_function
from services.api.auth import groups_of
from services.common.progress import DynamoProgressLog, ProgressEntry
from services.training.audit import DynamoTrainingLog

ACTIONS = ("redrive", "start-again", "rerun", "stop")
STOPPABLE = STATUS_GROUPS["running"]
RERUNNABLE = frozenset({"FAILED", "TIMED_OUT", "STOPPED"})
DONE = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class Refused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field, self.rule = status, field, rule

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"message": str(self)}
        if self.field:
            body["errors"] = [{"field": self.field, "rule": self.rule or str(self)}]
        return JSONResponse(body, status_code=self.status)


class Recovery:
    """The four actions, for the console (``app.Console``: its runtime, clients, executions reader, token check)."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def routes(self) -> list[Route]:
        actions: dict[str, Callable[[str, dict[str, str]], dict[str, Any]]] = {
            "redrive": self.redrive,
            "start-again": self.start_again,
            "rerun": self.rerun,
            "stop": self.stop,
        }
        return [
            Route(f"/console/api/recovery/{name}", self._endpoint(name, action), methods=["POST"])
            for name, action in actions.items()
        ]

    def _endpoint(self, name: str, action: Callable[[str, dict[str, str]], dict[str, Any]]) -> Callable:
        async def endpoint(request: Request) -> JSONResponse:
            viewer = self.console.viewer(request)
            if isinstance(viewer, JSONResponse):
                return viewer
            who = self._who(request)
            try:
                arn = _arn_of(await request.body())
                answer = await run_in_threadpool(action, arn, who)
            except Refused as refused:
                return refused.response()
            return JSONResponse({"action": name, **answer}, status_code=202 if "started" in answer else 200)

        return endpoint

    def _who(self, request: Request) -> dict[str, str]:
        """The signed-in person (the viewer check has verified the token already)."""
        token = request.headers["authorization"].partition(" ")[2].strip()
        claims = self.console.signer.verify(token)
        roles = sorted(groups_of(claims))
        return {
            "username": str(claims.get("cognito:username") or claims.get("sub") or "unknown"),
            "name": str(claims.get("name") or claims.get("cognito:username") or "unknown"),
            "role": ", ".join(roles),
        }

    # --- the actions ---------------------------------------------------------------------------------------------

    def redrive(self, arn: str, who: dict[str, str]) -> dict[str, Any]:
        sfn = self._client("stepfunctions")
        execution = self._sfn_execution(arn, "Redrive")
        if execution["status"] == "RUNNING":
            raise Refused(409, f"{execution['name']} is RUNNING: only a failed, timed-out or stopped run is redriven")
        fail_state = self._ended_in_fail_state(arn)
        if fail_state is not None:
            raise Refused(
                409,
                f"{execution['name']} ended in its Fail state \u201c{fail_state}\u201d after a caught error: a redrive "
                "continues from the state the execution never left, which is that Fail state, so it would fail "
                "again. Use \u201cStart again with this input\u201d.",
            )
        try:
            sfn.redrive_execution(executionArn=arn)
        except sfn.exceptions.ExecutionNotRedrivable as refused:
            raise Refused(409, f"{execution['name']} cannot be redriven: {_message(refused)}") from None
        count = sfn.describe_execution(executionArn=arn).get("redriveCount", 1)
        self._record(execution, who, "redrive", f"redrove {_what(arn)} (redrive {count}) from where it stopped")
        return {"arn": arn, "status": "RUNNING", "redrive_count": count}

    def start_again(self, arn: str, who: dict[str, str]) -> dict[str, Any]:
        sfn = self._client("stepfunctions")
        execution = self._sfn_execution(arn, "Start again")
        if execution["status"] not in DONE:
            raise Refused(409, f"{execution['name']} is {execution['status']}: start it again once it has ended")
        name = _new_name(execution["name"], "again")
        started = sfn.start_execution(
            stateMachineArn=execution["stateMachineArn"], name=name, input=execution.get("input") or "{}"
        )["executionArn"]
        self._record(execution, who, "start-again", f"started {_what(arn)} again with its input as {name}")
        return {"arn": arn, "started": started}

    def rerun(self, arn: str, who: dict[str, str]) -> dict[str, Any]:
        lam = self._client("lambda")
        execution = self._durable_execution(arn, "Re-run")
        if execution["Status"] not in RERUNNABLE:
            raise Refused(
                409,
                f"{execution['DurableExecutionName']} is {execution['Status']}: only a failed, timed-out or stopped "
                "durable execution is re-run",
            )
        function = _function_of(execution)
        name = _new_name(execution["DurableExecutionName"], "rerun")
        started = lam.invoke(
            FunctionName=function,
            InvocationType="Event",
            DurableExecutionName=name,
            Payload=(execution.get("InputPayload") or "{}").encode(),
        )["DurableExecutionArn"]
        self._record(
            _durable_as_subject(execution),
            who,
            "rerun",
            f"re-ran {_what(arn)} with its input as the new durable execution {name}",
        )
        return {"arn": arn, "started": started}

    def stop(self, arn: str, who: dict[str, str]) -> dict[str, Any]:
        if _is_sfn(arn):
            sfn = self._client("stepfunctions")
            execution = self._sfn_execution(arn, "Stop")
            if execution["status"] not in STOPPABLE:
                raise Refused(409, f"{execution['name']} is {execution['status']}: only a running execution is stopped")
            sfn.stop_execution(executionArn=arn, error="Stopped", cause=f"stopped from the console by {who['name']}")
            stopped_children = self._stop_durable_children(arn)
            what = f"stopped {_what(arn)}" + (
                f" and the durable execution{'s' if len(stopped_children) > 1 else ''} it was waiting for"
                if stopped_children
                else ""
            )
            self._record(execution, who, "stop", what)
            return {"arn": arn, "status": "ABORTED", "stopped_durable": stopped_children}
        lam = self._client("lambda")
        execution = self._durable_execution(arn, "Stop")
        if execution["Status"] not in STOPPABLE:
            raise Refused(
                409,
                f"{execution['DurableExecutionName']} is {execution['Status']}: only a running execution is stopped",
            )
        lam.stop_durable_execution(
            DurableExecutionArn=arn,
            Error={"ErrorType": "Stopped", "ErrorMessage": f"stopped from the console by {who['name']}"},
        )
        self._record(_durable_as_subject(execution), who, "stop", f"stopped {_what(arn)}")
        return {"arn": arn, "status": "STOPPED"}

    # --- reading and recording -----------------------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        return self.console.client(service)

    def _sfn_execution(self, arn: str, action: str) -> dict[str, Any]:
        if not _is_sfn(arn):
            raise Refused(
                400,
                f"{action} is for a Step Functions execution; {arn} is a durable execution (re-run or stop it)",
                "arn",
                "must be a Step Functions execution's ARN",
            )
        sfn = self._client("stepfunctions")
        try:
            return sfn.describe_execution(executionArn=arn)
        except (sfn.exceptions.ExecutionDoesNotExist, sfn.exceptions.InvalidArn):
            raise Refused(404, f"no Step Functions execution {arn}") from None

    def _durable_execution(self, arn: str, action: str) -> dict[str, Any]:
        if _is_sfn(arn):
            raise Refused(
                400,
                f"{action} is for a durable execution; {arn} is a Step Functions execution (redrive or start it again)",
                "arn",
                "must be a durable execution's ARN",
            )
        lam = self._client("lambda")
        try:
            return lam.get_durable_execution(DurableExecutionArn=arn)
        except (lam.exceptions.ResourceNotFoundException, lam.exceptions.InvalidParameterValueException):
            raise Refused(404, f"no durable execution {arn}") from None

    def _ended_in_fail_state(self, arn: str) -> str | None:
        """The Fail state the execution ended in (the state a redrive would re-enter), or None."""
        for event in reversed(self.console.executions.history(arn)):  # moto ignores reverseOrder
            if event["type"].endswith("StateEntered"):
                return event["stateEnteredEventDetails"]["name"] if event["type"] == "FailStateEntered" else None
        return None

    def _stop_durable_children(self, arn: str) -> list[str]:
        """The running durable executions the stopped execution's Tasks started (a hybrid's micro flows)."""
        lam = self._client("lambda")
        stopped = []
        detail = self.console.executions.state_machine_execution(arn)
        for child in detail.get("durable", []):
            if child.get("status") == "RUNNING":
                lam.stop_durable_execution(
                    DurableExecutionArn=child["arn"],
                    Error={"ErrorType": "Stopped", "ErrorMessage": "its Step Functions execution was stopped"},
                )
                stopped.append(child["arn"])
        return stopped

    def _record(self, execution: dict[str, Any], who: dict[str, str], action: str, what: str) -> None:
        """One audit-trail entry in the log of the application or request the execution is about."""
        scenario, item_id = _subject_id(execution)
        if item_id is None:
            return
        dynamodb = self._client("dynamodb")
        if scenario == "training":
            log: Any = DynamoTrainingLog(dynamodb, self.console.runtime.resolve(TRAINING["TRAINING_TABLE"]))
        else:
            log = DynamoProgressLog(dynamodb, self.console.runtime.resolve(PROGRESS_TABLE))
        message = f"{who['name']} ({who['username']}, {who['role']}) {what}, from the console"
        log.record(item_id, ProgressEntry(f"console-{action}-{uuid.uuid4().hex[:8]}", "console", message, who["name"]))


def _arn_of(body: bytes) -> str:
    try:
        document = read_json_body(body)
    except InputInvalid as invalid:
        error = invalid.errors[0]
        raise Refused(invalid.status, "invalid request", error.field, error.rule) from None
    if not isinstance(document, dict):
        raise Refused(400, "invalid request", "body", 'must be a JSON object: {"arn": "..."}')
    for error in unknown_fields(document, ("arn",), "a recovery request"):
        raise Refused(400, "invalid request", error.field, error.rule)
    arn = document.get("arn")
    if not isinstance(arn, str) or not arn.strip():
        raise Refused(400, "invalid request", "arn", "is required: the execution's ARN")
    if not arn.startswith("arn:aws:"):
        raise Refused(400, "invalid request", "arn", "must be an execution ARN (arn:aws:states:… or arn:aws:lambda:…)")
    return arn.strip()


def _is_sfn(arn: str) -> bool:
    return arn.startswith("arn:aws:states:")


def _what(arn: str) -> str:
    return ("the Step Functions execution " if _is_sfn(arn) else "the durable execution ") + arn


def _message(error: Any) -> str:
    return error.response.get("Error", {}).get("Message", str(error))


def _new_name(name: str, why: str) -> str:
    """A new execution's name: the old one's (cut so the whole stays within the 80 characters a name may have)."""
    return f"{name[:60]}-{why}-{uuid.uuid4().hex[:6]}"


def _function_of(execution: dict[str, Any]) -> str:
    return execution.get("FunctionArn", "").split(":function:")[-1].split(":")[0]


def _durable_as_subject(execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": execution.get("DurableExecutionName"),
        "input": execution.get("InputPayload"),
        "scenario": scenario_of_function(_function_of(execution)),
    }


def _subject_id(execution: dict[str, Any]) -> tuple[str, str | None]:
    """(scenario, the application or request id) an execution is about, from its input (its name otherwise)."""
    try:
        document = json.loads(execution.get("input") or "{}")
    except ValueError:
        document = {}
    document = document if isinstance(document, dict) else {}
    nested = [document, *(value for value in document.values() if isinstance(value, dict))]
    for part in nested:
        if isinstance(part.get("request_id"), str):
            return "training", part["request_id"]
        if isinstance(part.get("application_id"), str):
            return "loan", part["application_id"]
    scenario = execution.get("scenario") or (
        "training" if "training" in execution.get("stateMachineArn", "") else "loan"
    )
    return scenario, execution.get("name")
