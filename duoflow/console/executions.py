"""The console's reader of executions: plain boto3 calls (as against AWS), one client per service a thread.

* the list: every Step Functions execution of every state machine in catalog/state_machines.py, and every
  execution of a durable function no state machine calls (a pure-durable variant), newest first, each with who
  and what it is about (read once from its input: the applicant and the loan's purpose, the employee and the
  training), filtered by scenario, variant, status group (``STATUS_GROUPS``) and text;
* one Step Functions execution: its description, the ASL that ran (drawn, duoflow/diagrams) and its whole
  history, turned into each state's status by state_history.py; under each Task that called a durable
  function, that durable execution;
* one durable execution: its description and whole history, turned into its operations by
  durable_operations.py;
* one execution's events (the Events table): its history as rows, the durable executions a Task ran as groups
  of rows under that Task (events.py).

Lists and histories are read to their last page (``nextToken``, ``NextMarker``), list calls ``page_size``
executions at a time (None: the service's default). What is read here is raw: the console scrubs it for the
viewer before sending (scrub.py); ``secrets`` arguments collect the task tokens and callback ids a history
holds, for that scrubber. A missing execution is ``NotFound`` (the console answers 404).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from catalog.functions import CATALOG
from catalog.specs import ResourceRef
from duoflow.console.durable_operations import operations
from duoflow.console.events import durable_events, group_position, step_functions_events, taken_path
from duoflow.console.history_values import iso, json_or_text
from duoflow.console.scrub import secrets_in
from duoflow.console.state_history import state_statuses
from duoflow.diagrams.asl import all_states, asl_graph, called_function
from duoflow.diagrams.layout import Placed, layout
from duoflow.diagrams.sources import all_state_machines
from duoflow.diagrams.svg import render
from services.common.one_workflow import execution_arn_of

DURABLE_FUNCTIONS = frozenset(spec.name for spec in CATALOG if spec.durable)
# The list's status filter: the services' own words, grouped as an on-call engineer asks (Step Functions says
# ABORTED where a durable execution says STOPPED; a run waiting to be redriven is not over).
STATUS_GROUPS = {
    "running": frozenset({"RUNNING", "PENDING_REDRIVE"}),
    "failed": frozenset({"FAILED", "TIMED_OUT"}),
    "succeeded": frozenset({"SUCCEEDED"}),
    "stopped": frozenset({"ABORTED", "STOPPED"}),
}


class NotFound(LookupError):
    pass


def _called_by_state_machines() -> frozenset[str]:
    called = set()
    for machine in all_state_machines():
        for value in machine.placeholders.values():
            if isinstance(value, ResourceRef) and value.kind == "function":
                called.add(value.logical_name)
    return frozenset(called)


@functools.lru_cache(maxsize=64)
def laid_out(definition: str) -> Placed:
    """A definition's graph laid out: the same for every execution that runs it, and the execution page asks for
    its execution every second (the layout was a third of the page's time). Rendering only reads it."""
    return layout(asl_graph(json.loads(definition), durable_functions=DURABLE_FUNCTIONS))


def top_level_durable_functions() -> list[str]:
    """Durable functions that run a whole variant (no state machine calls them)."""
    called = _called_by_state_machines()
    return [spec.name for spec in CATALOG if spec.durable and spec.name not in called]


def scenario_of_function(name: str) -> str:
    scenarios = {machine.scenario for machine in all_state_machines()}
    prefix = name.split("-")[0]
    return prefix if prefix in scenarios else name


def subject_of(execution_input: Any) -> dict[str, Any]:
    """Who and what an execution is about, from its input: a loan application (the applicant, the purpose and the
    amount) or a training request's upload ({"document": ...}: the employee, the training and its cost). Nothing
    else from the input is listed (the SIN and income are not, to anyone)."""
    if not isinstance(execution_input, dict):
        return {}
    document = execution_input.get("document")
    document = document if isinstance(document, dict) else execution_input
    subject = {
        "who": document.get("applicant_name") or document.get("employee_name"),
        "what": document.get("loan_purpose") or document.get("training_title"),
        "amount": document.get("loan_amount") if "loan_amount" in document else document.get("cost"),
    }
    return {key: value for key, value in subject.items() if value is not None}


def status_group(status: str | None) -> str | None:
    return next((group for group, statuses in STATUS_GROUPS.items() if status in statuses), None)


def _duration_ms(start: Any, stop: Any) -> float | None:
    if isinstance(start, datetime) and isinstance(stop, datetime):
        return round((stop - start).total_seconds() * 1000, 1)
    return None


def _state_machine_item(machine: Any, execution: dict[str, Any]) -> dict[str, Any]:
    """A Step Functions execution as the list shows it (from ListExecutions or DescribeExecution: both have these)."""
    return {
        "kind": "sfn",
        "arn": execution["executionArn"],
        "name": execution["name"],
        "scenario": machine.scenario,
        "variant": machine.variant,
        "state_machine": machine.name,
        "status": execution["status"],
        "start": iso(execution.get("startDate")),
        "stop": iso(execution.get("stopDate")),
        "duration_ms": _duration_ms(execution.get("startDate"), execution.get("stopDate")),
    }


def _durable_item(function: str, scenario: str, execution: dict[str, Any]) -> dict[str, Any]:
    """A durable execution as the list shows it (from ListDurableExecutionsByFunction)."""
    return {
        "kind": "durable",
        "arn": execution["DurableExecutionArn"],
        "name": execution["DurableExecutionName"],
        "scenario": scenario,
        "variant": "durable",
        "function": function,
        "status": execution["Status"],
        "start": iso(execution.get("StartTimestamp")),
        "stop": iso(execution.get("EndTimestamp")),
        "duration_ms": _duration_ms(execution.get("StartTimestamp"), execution.get("EndTimestamp")),
    }


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
        self._subjects: dict[str, dict[str, Any]] = {}  # by ARN: an execution's input never changes

    def _client(self, service: str) -> Any:
        clients = self._local.__dict__.setdefault("clients", {})
        if service not in clients:
            clients[service] = self._factory(service)
        return clients[service]

    # --- the list ------------------------------------------------------------------------------------------

    def list(
        self, scenario: str | None = None, variant: str | None = None, text: str | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, each with who and what it is about and its ``status_group``. ``text``: found (any case) in
        the execution's name (the application or request id), who or what it is about."""
        found = self._completed(self._all(scenario, variant))
        if text:
            wanted = text.casefold()
            found = [
                item
                for item in found
                if any(wanted in str(item.get(key, "")).casefold() for key in ("name", "who", "what"))
            ]
        return found

    def named(self, name: str, scenario: str) -> list[dict[str, Any]]:
        """The executions of ``scenario`` named ``name`` (an application or request id), as :meth:`list` gives them,
        found by name: a status page polled every second reads two or three executions, not every one there is."""
        sfn, lam = self._client("stepfunctions"), self._client("lambda")
        found = []
        for machine in all_state_machines():
            if machine.scenario != scenario:
                continue
            try:
                described = sfn.describe_execution(executionArn=execution_arn_of(self._arn_of(machine.name), name))
                found.append(_state_machine_item(machine, described))
            except (sfn.exceptions.ExecutionDoesNotExist, sfn.exceptions.InvalidArn):
                continue
        for function in top_level_durable_functions():
            if scenario_of_function(function) == scenario:
                executions = self._durable_executions(lam, function, DurableExecutionName=name)
                found += [_durable_item(function, scenario, execution) for execution in executions]
        found.sort(key=lambda item: item["start"] or "", reverse=True)
        return self._completed(found)

    def _completed(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in found:
            item.update(self._subject(item["kind"], item["arn"]), status_group=status_group(item["status"]))
        return found

    def _subject(self, kind: str, arn: str) -> dict[str, Any]:
        if arn not in self._subjects:
            if kind == "sfn":
                raw = self._client("stepfunctions").describe_execution(executionArn=arn).get("input")
            else:
                raw = self._client("lambda").get_durable_execution(DurableExecutionArn=arn).get("InputPayload")
            self._subjects[arn] = subject_of(json_or_text(raw))
        return self._subjects[arn]

    def _all(self, scenario: str | None, variant: str | None) -> list[dict[str, Any]]:
        sfn, lam = self._client("stepfunctions"), self._client("lambda")
        found = []
        for machine in all_state_machines():
            if (scenario and machine.scenario != scenario) or (variant and machine.variant != variant):
                continue
            for execution in self._state_machine_executions(sfn, self._arn_of(machine.name)):
                found.append(_state_machine_item(machine, execution))
        for function in top_level_durable_functions():
            function_scenario = scenario_of_function(function)
            if (scenario and function_scenario != scenario) or (variant and variant != "durable"):
                continue
            for execution in self._durable_executions(lam, function):
                found.append(_durable_item(function, function_scenario, execution))
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
        events = self.history(arn)
        if secrets is not None:
            secrets |= secrets_in(events)
        states = state_statuses(events, execution, definition)
        spec = next((m for m in all_state_machines() if m.name == machine["name"]), None)
        title = f"{machine['name']}: {execution['name']}"
        nested = []
        for name, state in all_states(definition).items():
            function = called_function(state)
            if function in DURABLE_FUNCTIONS and states.get(name, {}).get("status") != "not-reached":
                for durable in self._durable_for(function, execution["name"]):
                    nested.append({"state": name, "function": function, **self.durable_execution(durable, secrets)})
        output = json_or_text(execution.get("output"))
        return {
            "kind": "sfn",
            "arn": arn,
            "name": execution["name"],
            "status": execution["status"],
            "redrive_count": execution.get("redriveCount", 0),
            "start": iso(execution.get("startDate")),
            "stop": iso(execution.get("stopDate")),
            "duration_ms": _duration_ms(execution.get("startDate"), execution.get("stopDate")),
            "input": json_or_text(execution.get("input")),
            "output": output,
            "error": execution.get("error"),
            "cause": execution.get("cause"),
            "state_machine": machine["name"],
            "scenario": spec.scenario if spec else None,
            "variant": spec.variant if spec else None,
            "definition": definition,
            "svg": render(laid_out(machine["definition"]), title=title),
            "states": states,
            "durable": nested,
            "transitions": sum(1 for event in events if event["type"].endswith("StateEntered")),
            "path": taken_path(events, definition, execution["status"]),
            "event_count": len(events),  # the Events table is read again when it changes
        }

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every event of a Step Functions execution, oldest first (all pages)."""
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
        suffix when one execution calls the function more than once), and after each redrive of it
        (``NAME-redrive-N``, statemachines/*.asl.json), the first run's first."""
        lam = self._client("lambda")

        def named(name: str) -> list[str]:
            return [
                e["DurableExecutionArn"] for e in self._durable_executions(lam, function, DurableExecutionName=name)
            ]

        exact = named(execution_name)
        if exact:
            redrive = 1
            while found := named(f"{execution_name}-redrive-{redrive}"):
                exact += found
                redrive += 1
            return exact
        listed = self._durable_executions(lam, function)
        return [e["DurableExecutionArn"] for e in listed if e["DurableExecutionName"].startswith(execution_name)]

    def durable_execution(self, arn: str, secrets: set[str] | None = None) -> dict[str, Any]:
        execution = self._described_durable_execution(arn)
        events = self._durable_history(arn)
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
            "start": iso(execution.get("StartTimestamp")),
            "stop": iso(execution.get("EndTimestamp")),
            "duration_ms": _duration_ms(execution.get("StartTimestamp"), execution.get("EndTimestamp")),
            "input": json_or_text(execution.get("InputPayload")),
            "output": json_or_text(execution.get("Result")),
            "error": execution.get("Error"),
            "event_count": len(events),
            **operations(events),
        }

    def _described_durable_execution(self, arn: str) -> dict[str, Any]:
        lam = self._client("lambda")
        try:
            return lam.get_durable_execution(DurableExecutionArn=arn)
        except lam.exceptions.ResourceNotFoundException:
            raise NotFound(f"no durable execution {arn}") from None

    def _durable_history(self, arn: str) -> list[dict[str, Any]]:
        lam, events, marker = self._client("lambda"), [], None
        while True:
            page = lam.get_durable_execution_history(
                DurableExecutionArn=arn, IncludeExecutionData=True, **({"Marker": marker} if marker else {})
            )
            events += page["Events"]
            marker = page.get("NextMarker")
            if not marker:
                return events

    # --- one execution's events (the Events table) -------------------------------------------------------------

    def events(self, arn: str, secrets: set[str] | None = None) -> dict[str, Any]:
        """The rows of the execution's Events table (events.py); for a Step Functions execution, each durable
        execution a Task ran as a group of rows shown after that Task's event that started it."""
        if not arn.startswith("arn:aws:states:"):
            execution = self._described_durable_execution(arn)
            history = self._durable_history(arn)
            if secrets is not None:
                secrets |= secrets_in(history)
            start = history[0].get("EventTimestamp") if history else execution.get("StartTimestamp")
            return {
                "kind": "durable",
                "arn": arn,
                "start": iso(start),
                "events": durable_events(history, start),
                "groups": [],
            }
        sfn = self._client("stepfunctions")
        try:
            execution = sfn.describe_execution(executionArn=arn)
        except (sfn.exceptions.ExecutionDoesNotExist, sfn.exceptions.InvalidArn):
            raise NotFound(f"no Step Functions execution {arn}") from None
        definition = json.loads(sfn.describe_state_machine_for_execution(executionArn=arn)["definition"])
        history = self.history(arn)
        if secrets is not None:
            secrets |= secrets_in(history)
        # elapsed counts from the first event, as the AWS console's "started after" does (the local runtime's
        # startDate can be a few hundred ms earlier than its ExecutionStarted event)
        start = history[0].get("timestamp") if history else execution.get("startDate")
        rows = step_functions_events(history, taken_path(history, definition, execution["status"]), start)
        groups = []
        entered = {row["state"] for row in rows if row["type"].endswith("StateEntered")}
        for name, state in all_states(definition).items():
            function = called_function(state)
            if function not in DURABLE_FUNCTIONS or name not in entered:
                continue
            for durable_arn in self._durable_for(function, execution["name"]):
                child = self._client("lambda").get_durable_execution(DurableExecutionArn=durable_arn)
                child_history = self._durable_history(durable_arn)
                if secrets is not None:
                    secrets |= secrets_in(child_history)
                groups.append(
                    {
                        "state": name,
                        "function": function,
                        "arn": durable_arn,
                        "name": child.get("DurableExecutionName"),
                        "status": child.get("Status"),
                        "after": group_position(rows, name, child.get("StartTimestamp")),
                        "events": durable_events(child_history, start),
                    }
                )
        return {"kind": "sfn", "arn": arn, "start": iso(start), "events": rows, "groups": groups}
