"""What the console shows about executions, read with plain boto3 calls (as against AWS):

* the list: every Step Functions execution of every state machine in duoflow/statemachines.py, and every
  execution of a durable function no state machine calls (a pure-durable variant);
* one Step Functions execution: the ASL that ran, drawn (duoflow/diagrams), each state's status from the
  history — not reached, running, succeeded, failed, caught — with its input, output, error and cause, and
  under each Task that called a durable function, that durable execution's operations;
* one durable execution: its operations as a timeline (steps, parallel branches, callbacks, waits, retries).

Lists are read to their last page (``nextToken``, ``NextMarker``), ``page_size`` executions a call (None: the
service's default). What is read here is raw: the console scrubs it for the viewer before sending (scrub.py);
``secrets`` arguments collect the task tokens and callback ids a history holds, for that scrubber.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from duoflow.catalog import CATALOG
from duoflow.console.scrub import secrets_in
from duoflow.diagrams.asl import all_states, asl_graph, called_function
from duoflow.diagrams.layout import layout
from duoflow.diagrams.sources import all_state_machines
from duoflow.diagrams.svg import render
from duoflow.runtime.functions import ResourceRef

DURABLE_FUNCTIONS = frozenset(spec.name for spec in CATALOG if spec.durable)
FAILURE_EVENTS = (
    "TaskFailed",
    "TaskTimedOut",
    "TaskSubmitFailed",
    "TaskStartFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "ParallelStateFailed",
    "MapStateFailed",
    "MapRunFailed",
)
NEGATIVE_OUTCOMES = ("denied", "rejected")


class NotFound(LookupError):
    pass


def _called_by_state_machines() -> frozenset[str]:
    called = set()
    for machine in all_state_machines():
        for value in machine.placeholders.values():
            if isinstance(value, ResourceRef) and value.kind == "function":
                called.add(value.logical_name)
    return frozenset(called)


def top_level_durable_functions() -> list[str]:
    """Durable functions that run a whole variant (no state machine calls them)."""
    called = _called_by_state_machines()
    return [spec.name for spec in CATALOG if spec.durable and spec.name not in called]


def scenario_of_function(name: str) -> str:
    scenarios = {machine.scenario for machine in all_state_machines()}
    prefix = name.split("-")[0]
    return prefix if prefix in scenarios else name


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _duration_ms(start: Any, stop: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(stop, datetime):
        return round((stop - start).total_seconds() * 1000, 1)
    return None


class Executions:
    """Reads executions through boto3 clients made once per thread (boto3 sessions are not thread-safe)."""

    def __init__(
        self,
        client_factory: Callable[[str], Any],
        state_machine_arn: Callable[[str], str],
        page_size: int | None = None,
    ) -> None:
        self._factory = client_factory
        self._arn_of = state_machine_arn
        self._page_size = page_size
        self._local = threading.local()

    def _client(self, service: str) -> Any:
        clients = self._local.__dict__.setdefault("clients", {})
        if service not in clients:
            clients[service] = self._factory(service)
        return clients[service]

    # --- the list ------------------------------------------------------------------------------------------

    def list(self, scenario: str | None = None, variant: str | None = None) -> list[dict[str, Any]]:
        sfn, lam = self._client("stepfunctions"), self._client("lambda")
        found = []
        for machine in all_state_machines():
            if (scenario and machine.scenario != scenario) or (variant and machine.variant != variant):
                continue
            for execution in self._state_machine_executions(sfn, self._arn_of(machine.name)):
                found.append(
                    {
                        "kind": "sfn",
                        "arn": execution["executionArn"],
                        "name": execution["name"],
                        "scenario": machine.scenario,
                        "variant": machine.variant,
                        "state_machine": machine.name,
                        "status": execution["status"],
                        "start": _iso(execution.get("startDate")),
                        "stop": _iso(execution.get("stopDate")),
                        "duration_ms": _duration_ms(execution.get("startDate"), execution.get("stopDate")),
                    }
                )
        for function in top_level_durable_functions():
            function_scenario = scenario_of_function(function)
            if (scenario and function_scenario != scenario) or (variant and variant != "durable"):
                continue
            for execution in self._durable_executions(lam, function):
                found.append(
                    {
                        "kind": "durable",
                        "arn": execution["DurableExecutionArn"],
                        "name": execution["DurableExecutionName"],
                        "scenario": function_scenario,
                        "variant": "durable",
                        "function": function,
                        "status": execution["Status"],
                        "start": _iso(execution.get("StartTimestamp")),
                        "stop": _iso(execution.get("EndTimestamp")),
                        "duration_ms": _duration_ms(execution.get("StartTimestamp"), execution.get("EndTimestamp")),
                    }
                )
        found.sort(key=lambda item: item["start"] or "", reverse=True)
        return found

    def _state_machine_executions(self, sfn: Any, state_machine_arn: str) -> Iterator[dict[str, Any]]:
        token = None
        while True:
            page = sfn.list_executions(
                stateMachineArn=state_machine_arn,
                **({"maxResults": self._page_size} if self._page_size else {}),
                **({"nextToken": token} if token else {}),
            )
            yield from page["executions"]
            token = page.get("nextToken")
            if not token:
                return

    def _durable_executions(self, lam: Any, function: str, **filters: str) -> Iterator[dict[str, Any]]:
        marker = None
        while True:
            page = lam.list_durable_executions_by_function(
                FunctionName=function,
                **filters,
                **({"MaxItems": self._page_size} if self._page_size else {}),
                **({"Marker": marker} if marker else {}),
            )
            yield from page["DurableExecutions"]
            marker = page.get("NextMarker")
            if not marker:
                return

    # --- one execution -------------------------------------------------------------------------------------

    def detail(self, arn: str, secrets: set[str] | None = None) -> dict[str, Any]:
        if arn.startswith("arn:aws:states:"):
            return self.state_machine_execution(arn, secrets)
        return {"kind": "durable", **self.durable_execution(arn, secrets)}

    def state_machine_execution(self, arn: str, secrets: set[str] | None = None) -> dict[str, Any]:
        sfn = self._client("stepfunctions")
        try:
            execution = sfn.describe_execution(executionArn=arn)
        except (sfn.exceptions.ExecutionDoesNotExist, sfn.exceptions.InvalidArn):
            raise NotFound(f"no Step Functions execution {arn}") from None
        machine = sfn.describe_state_machine_for_execution(executionArn=arn)
        definition = json.loads(machine["definition"])
        events = self._history(arn)
        if secrets is not None:
            secrets |= secrets_in(events)
        states = state_statuses(events, execution, definition)
        spec = next((m for m in all_state_machines() if m.name == machine["name"]), None)
        graph = asl_graph(definition, durable_functions=DURABLE_FUNCTIONS)
        title = f"{machine['name']}: {execution['name']}"
        nested = []
        for name, state in all_states(definition).items():
            function = called_function(state)
            if function in DURABLE_FUNCTIONS and states.get(name, {}).get("status") != "not-reached":
                for durable in self._durable_for(function, execution["name"]):
                    nested.append({"state": name, "function": function, **self.durable_execution(durable, secrets)})
        output = _json(execution.get("output"))
        return {
            "kind": "sfn",
            "arn": arn,
            "name": execution["name"],
            "status": execution["status"],
            "start": _iso(execution.get("startDate")),
            "stop": _iso(execution.get("stopDate")),
            "duration_ms": _duration_ms(execution.get("startDate"), execution.get("stopDate")),
            "input": _json(execution.get("input")),
            "output": output,
            "error": execution.get("error"),
            "cause": execution.get("cause"),
            "state_machine": machine["name"],
            "scenario": spec.scenario if spec else None,
            "variant": spec.variant if spec else None,
            "definition": definition,
            "svg": render(layout(graph), title=title),
            "states": states,
            "durable": nested,
            "transitions": sum(1 for event in events if event["type"].endswith("StateEntered")),
        }

    def _history(self, arn: str) -> list[dict[str, Any]]:
        sfn, events, token = self._client("stepfunctions"), [], None
        while True:
            page = sfn.get_execution_history(
                executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def _durable_for(self, function: str, execution_name: str) -> list[str]:
        """The durable executions a Task started: named after the state machine execution (exactly, or with a
        suffix when one execution calls the function more than once)."""
        lam = self._client("lambda")
        exact = [
            e["DurableExecutionArn"]
            for e in self._durable_executions(lam, function, DurableExecutionName=execution_name)
        ]
        if exact:
            return exact
        listed = self._durable_executions(lam, function)
        return [e["DurableExecutionArn"] for e in listed if e["DurableExecutionName"].startswith(execution_name)]

    def durable_execution(self, arn: str, secrets: set[str] | None = None) -> dict[str, Any]:
        lam = self._client("lambda")
        try:
            execution = lam.get_durable_execution(DurableExecutionArn=arn)
        except lam.exceptions.ResourceNotFoundException:
            raise NotFound(f"no durable execution {arn}") from None
        events, marker = [], None
        while True:
            page = lam.get_durable_execution_history(
                DurableExecutionArn=arn, IncludeExecutionData=True, **({"Marker": marker} if marker else {})
            )
            events += page["Events"]
            marker = page.get("NextMarker")
            if not marker:
                break
        if secrets is not None:
            secrets |= secrets_in(events)
        function = execution.get("FunctionArn", "").split(":function:")[-1].split(":")[0]
        return {
            "arn": arn,
            "name": execution.get("DurableExecutionName"),
            "function": function,
            "scenario": scenario_of_function(function),
            "variant": "durable",
            "status": execution.get("Status"),
            "start": _iso(execution.get("StartTimestamp")),
            "stop": _iso(execution.get("EndTimestamp")),
            "duration_ms": _duration_ms(execution.get("StartTimestamp"), execution.get("EndTimestamp")),
            "input": _json(execution.get("InputPayload")),
            "output": _json(execution.get("Result")),
            "error": execution.get("Error"),
            **operations(events),
        }


# --- Step Functions history → state statuses ------------------------------------------------------------


def state_statuses(
    events: list[dict[str, Any]], execution: dict[str, Any], definition: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each state's status: not-reached, running, succeeded, failed, caught (it failed and a Catch moved on),
    or denied (the terminal state of a business refusal, with the reason as its cause)."""
    by_id = {event["id"]: event for event in events}
    owner: dict[int, str] = {}

    def state_of(event: dict[str, Any]) -> str | None:
        seen = []
        current: dict[str, Any] | None = event
        while current is not None:
            if current["id"] in owner:
                name = owner[current["id"]]
                break
            details = current.get("stateEnteredEventDetails")
            if details:
                name = details["name"]
                break
            seen.append(current["id"])
            current = by_id.get(current.get("previousEventId"))
        else:
            name = None
        for event_id in seen:
            if name:
                owner[event_id] = name
        return name

    states: dict[str, dict[str, Any]] = {
        name: {"status": "not-reached", "type": state["Type"]} for name, state in all_states(definition).items()
    }
    entered_after: list[tuple[int, str]] = []
    for event in events:
        kind = event["type"]
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered:
            name = entered["name"]
            owner[event["id"]] = name
            entered_after.append((event["id"], name))
            info = states.setdefault(name, {"type": kind.removesuffix("StateEntered")})
            info.update(status="running", input=_json(entered.get("input")), start=_iso(event.get("timestamp")))
            info["entries"] = info.get("entries", 0) + 1
            info.pop("end", None)
            continue
        name = exited["name"] if exited else state_of(event)
        if name is None:
            continue
        info = states.setdefault(name, {"type": "?"})
        if exited:
            info.update(status="succeeded", output=_json(exited.get("output")), end=_iso(event.get("timestamp")))
        elif kind in FAILURE_EVENTS:
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), {}) or {}
            info.update(error=details.get("error"), cause=details.get("cause"), failed_at_event=event["id"])
            info["failures"] = info.get("failures", 0) + 1
            info["end"] = _iso(event.get("timestamp"))
        elif kind.endswith("Succeeded") and "failed_at_event" in info:
            info["retried"] = True  # a retry succeeded after a failure
            info.pop("failed_at_event")
    execution_status = execution.get("status")
    for name, info in states.items():
        if info.get("status") == "not-reached":
            continue
        if "failed_at_event" in info:
            failed_at = info.pop("failed_at_event")
            moved_on = any(
                event_id > failed_at and other != name and not _inside(definition, other, name)
                for event_id, other in entered_after
            )
            info["status"] = "caught" if moved_on else "failed"
        if info.get("type") == "Fail" or states.get(name, {}).get("type") == "Fail":
            info["status"] = "failed"
            info.setdefault("error", execution.get("error"))
            info.setdefault("cause", execution.get("cause"))
        if info["status"] == "running" and execution_status not in (None, "RUNNING"):
            info["status"] = "failed" if execution_status in ("FAILED", "TIMED_OUT") else "stopped"
            info.setdefault("error", execution.get("error"))
            info.setdefault("cause", execution.get("cause"))
    output = _json(execution.get("output"))
    if execution_status == "SUCCEEDED" and isinstance(output, dict):
        verdict = output.get("outcome") or output.get("decision")
        if verdict in NEGATIVE_OUTCOMES:
            for info in states.values():
                if info.get("type") == "Succeed" and info["status"] == "succeeded":
                    info.update(status="denied", error=str(verdict), cause=output.get("reason", ""))
    return states


def _inside(definition: dict[str, Any], inner: str, outer: str) -> bool:
    """Is state ``inner`` nested in state ``outer`` (a Parallel branch or a Map processor)?"""
    state = all_states(definition).get(outer, {})
    nested = {}
    for branch in state.get("Branches", []):
        nested.update(all_states(branch))
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if processor:
        nested.update(all_states(processor))
    return inner in nested


# --- durable history → operations ---------------------------------------------------------------------------

ENDINGS = ("Started", "Succeeded", "Failed", "TimedOut", "Cancelled", "Stopped")


def operations(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The durable execution's operations in the order they started, each with its parent (parallel branches
    and callbacks nest), start, end, status, attempts, result and error; and the invocations (each one a
    replay of the handler from the top)."""
    ops: dict[str, dict[str, Any]] = {}
    invocations = []
    for event in events:
        kind = event["EventType"]
        at = _iso(event.get("EventTimestamp"))
        if kind.startswith("Execution") or not event.get("Id"):
            if kind == "InvocationCompleted":
                invocations.append(at)
            continue
        ending = next((e for e in ENDINGS if kind.endswith(e)), "")
        family = kind.removesuffix(ending)
        details = event.get(f"{kind}Details") or {}
        op = ops.setdefault(
            event["Id"],
            {
                "id": event["Id"],
                "name": event.get("Name") or family,
                "type": event.get("SubType") or family,
                "family": family,
                "parent": event.get("ParentId"),
                "start": at,
                "end": None,
                "status": "running",
                "attempts": 0,
            },
        )
        if ending == "Started":
            op["attempts"] += 1
            for key in ("Duration", "ScheduledEndTimestamp", "CallbackId", "Timeout"):
                if key in details:
                    op[key[0].lower() + key[1:]] = _iso(details[key])
        else:
            op["end"] = at
            op["status"] = ending.lower() if ending else kind
            if "Result" in details:
                op["result"] = decode_payload((details["Result"] or {}).get("Payload"))
            if "Error" in details:
                op["error"] = decode_payload((details["Error"] or {}).get("Payload", details["Error"]))
            if details.get("RetryDetails"):
                op["status"] = "retrying"
                op["retry"] = _iso_all(details["RetryDetails"])
    ordered = list(ops.values())
    depth: dict[str, int] = {}
    for op in ordered:
        depth[op["id"]] = depth.get(op["parent"], -1) + 1 if op["parent"] else 0
        op["depth"] = depth[op["id"]]
    return {"operations": _tree_order(ordered), "invocations": invocations}


def _tree_order(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for op in ops:
        children.setdefault(op["parent"], []).append(op)
    ordered: list[dict[str, Any]] = []

    def add(parent: str | None) -> None:
        for op in children.get(parent, []):
            ordered.append(op)
            add(op["id"])

    add(None)
    known = {op["id"] for op in ordered}
    ordered += [op for op in ops if op["id"] not in known]  # a parent the history does not show
    return ordered


def _iso_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _iso_all(item) for key, item in value.items()}
    return _iso(value)


def decode_payload(payload: Any) -> Any:
    """A checkpointed value as JSON: the durable SDK's typed envelope ({"t": "m", "v": {...}}) unwrapped."""
    value = _unwrap(_json(payload))
    if isinstance(value, str) and value[:1] in "{[":
        return _json(value)  # a callback's answer: JSON text inside the JSON envelope
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"t", "v"}:
            inner = value["v"]
            if isinstance(inner, dict):
                return {key: _unwrap(item) for key, item in inner.items()}
            if isinstance(inner, list):
                return [_unwrap(item) for item in inner]
            return inner
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
