"""An execution's history as the rows of the console's Events table (the Step Functions console's "Events" tab),
and the path a Step Functions execution took through its graph.

Reads histories already fetched (no boto3 here): ``get_execution_history`` events for a Step Functions execution,
``get_durable_execution_history`` events for a durable one. Each row has the event's id, type, time and time since
the execution started, the state (or durable operation) it belongs to, a short detail a person can read at a glance
and, to expand, the event's input, output, parameters, result or error. A Task that ran a durable execution (the
hybrid) gets that execution's rows as a group after the Task's event that started it.

The path: each transition from one state to the next, read from the history (a ``StateEntered`` event follows the
``StateExited`` event of the state before it), and whether the transition was a Catch (the state failed, a timeout
included, before it exited). Only transitions the definition has are kept, so events of Parallel branches that
interleave cannot draw an edge the machine does not have.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from duoflow.console.durable_operations import decode_payload
from duoflow.console.history_values import iso, json_or_text
from duoflow.console.state_history import FAILURE_EVENTS, state_of
from duoflow.diagrams.asl import END, START, all_states

DETAIL_LENGTH = 140  # a detail is one line in the table; the whole value is in the expanded row
SHOWN_VALUES = ("input", "parameters", "output", "error", "cause")
CONTAINER_EVENTS = ("ParallelState", "MapState", "MapRun", "MapIteration")
CONTAINER_ENTERED = ("ParallelStateEntered", "MapStateEntered")
CONTAINER_EXITED = ("ParallelStateExited", "MapStateExited")


def taken_path(events: list[dict[str, Any]], definition: dict[str, Any], status: str | None) -> list[dict[str, Any]]:
    """The transitions the execution took, in order: ``{"from", "to", "caught"}``; the graph's Start and End nodes
    are ``__start__`` and ``__end__``. ``caught``: the state failed (or timed out) and one of its Catchers moved on."""
    states = all_states(definition)
    by_id = {event["id"]: event for event in events}
    path: list[dict[str, Any]] = []
    last_top_level = None
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        if not entered:
            continue
        name = entered["name"]
        if name in definition.get("States", {}):
            last_top_level = name
        before = by_id.get(event.get("previousEventId"))
        exited = (before or {}).get("stateExitedEventDetails")
        if exited is None:
            if name == definition.get("StartAt") and (before is None or before["type"] == "ExecutionStarted"):
                path.append({"from": START, "to": name, "caught": False})
            continue
        source = exited["name"]
        failed = by_id.get(before.get("previousEventId"), {}).get("type") in FAILURE_EVENTS
        caught = _transition(states.get(source, {}), name, failed)
        if caught is not None:
            path.append({"from": source, "to": name, "caught": caught})
    ending = states.get(last_top_level or "", {})
    if status == "SUCCEEDED" and (ending.get("End") or ending.get("Type") == "Succeed"):
        path.append({"from": last_top_level, "to": END, "caught": False})
    return path


def _transition(state: dict[str, Any], target: str, failed: bool) -> bool | None:
    """Is going from ``state`` to ``target`` a Catch (True), a Next, Choice or Default (False), or not an edge
    of the definition (None)? A state that failed before it exited left through a Catcher when it has one."""
    normal = {state.get("Next"), state.get("Default"), *(rule.get("Next") for rule in state.get("Choices", []))}
    caught = {catcher.get("Next") for catcher in state.get("Catch", [])}
    if target in caught and (failed or target not in normal):
        return True
    if target in normal:
        return False
    return None


def step_functions_events(
    events: list[dict[str, Any]], path: list[dict[str, Any]] | None = None, start: Any = None
) -> list[dict[str, Any]]:
    """The rows of a Step Functions history, oldest first. ``path`` (taken_path's answer) lets a state's exit say
    where the execution went next; ``start``: the time ``elapsed_ms`` counts from (by default the first event's)."""
    by_id = {event["id"]: event for event in events}
    start = start if isinstance(start, datetime) else _start_of(events, "timestamp")
    owner: dict[int, str] = {}
    next_of = _next_states(events, path or [])
    containers: list[str] = []  # the Parallel and Map states entered and not yet exited, innermost last
    rows = []
    for event in events:
        kind = event["type"]
        details = next((value for key, value in event.items() if key.endswith("EventDetails")), None) or {}
        if kind in CONTAINER_ENTERED:
            containers.append(details["name"])
        if kind.startswith(CONTAINER_EVENTS) and not kind.endswith(("StateEntered", "StateExited")) and containers:
            state = owner[event["id"]] = containers[-1]  # follows a branch's last event, but is its Parallel's
        else:
            state = state_of(event, by_id, owner)
        if kind in CONTAINER_EXITED and containers:
            containers.pop()
        row: dict[str, Any] = {
            "id": event["id"],
            "type": kind,
            "at": iso(event.get("timestamp")),
            "elapsed_ms": _elapsed_ms(start, event.get("timestamp")),
            "state": state,
            "detail": _short(_step_functions_detail(kind, details, next_of.get(event["id"]))),
        }
        for key in SHOWN_VALUES:
            if details.get(key) is not None:
                row[key] = json_or_text(details[key])
        rows.append(row)
    return rows


def _next_states(events: list[dict[str, Any]], path: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The transition that followed each state's exit event, by that event's id."""
    by_id = {event["id"]: event for event in events}
    taken = {(step["from"], step["to"]): step for step in path}
    found = {}
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        before = by_id.get(event.get("previousEventId")) or {}
        exited = before.get("stateExitedEventDetails")
        if entered and exited and (exited["name"], entered["name"]) in taken:
            found[before["id"]] = taken[(exited["name"], entered["name"])]
    return found


def _step_functions_detail(kind: str, details: dict[str, Any], went: dict[str, Any] | None) -> str:
    if kind.endswith("StateExited") and went:
        return f"next: {went['to']}" + (" (caught)" if went["caught"] else "")
    if "error" in details or "cause" in details:
        return ": ".join(part for part in (details.get("error"), _readable_cause(details.get("cause"))) if part)
    if kind in ("TaskScheduled", "TaskStarted", "TaskSubmitted"):
        resource = ":".join(part for part in (details.get("resourceType"), details.get("resource")) if part)
        parameters = json_or_text(details.get("parameters"))
        function = parameters.get("FunctionName") if isinstance(parameters, dict) else None
        timeout = details.get("timeoutInSeconds")
        return " · ".join(
            part
            for part in (
                resource,
                f"function {_function_name(function)}" if function else "",
                f"times out after {timeout} s" if timeout else "",
                "sent; waits for its task token" if kind == "TaskSubmitted" else "",
            )
            if part
        )
    return ""


def _function_name(value: str) -> str:
    return value.split(":function:")[-1].split(":")[0]


def _readable_cause(cause: Any) -> str:
    """A Lambda's error reaches Step Functions as JSON text with a stack trace: its message is what a person
    reads first (the whole cause is in the expanded row)."""
    value = json_or_text(cause)
    if isinstance(value, dict):
        message = value.get("errorMessage") or value.get("ErrorMessage") or value.get("message")
        if message is not None:
            return str(message)
    return "" if value is None else str(value)


def durable_events(events: list[dict[str, Any]], start: Any = None) -> list[dict[str, Any]]:
    """The rows of a durable execution's history, oldest first; ``start``: the time ``elapsed_ms`` counts from
    (the parent Step Functions execution's start for a hybrid's durable child; by default its own)."""
    start = start if isinstance(start, datetime) else _start_of(events, "EventTimestamp")
    names = {event["Id"]: event.get("Name") for event in events if event.get("Id")}
    rows = []
    for event in events:
        kind = event["EventType"]
        details = event.get(f"{kind}Details") or {}
        execution_event = kind.startswith("Execution") or kind.startswith("Invocation")
        row: dict[str, Any] = {
            "id": event.get("EventId"),
            "type": kind,
            "at": iso(event.get("EventTimestamp")),
            "elapsed_ms": _elapsed_ms(start, event.get("EventTimestamp")),
            "state": None if execution_event else (event.get("Name") or names.get(event.get("Id"))),
            "detail": _short(_durable_detail(kind, event, details, names)),
        }
        if "Input" in details:
            row["input"] = decode_payload((details["Input"] or {}).get("Payload"))
        if "Result" in details:
            row["output"] = decode_payload((details["Result"] or {}).get("Payload"))
        if "Error" in details:
            row["error"] = decode_payload((details["Error"] or {}).get("Payload", details["Error"]))
        rows.append(row)
    return rows


def _durable_detail(kind: str, event: dict[str, Any], details: dict[str, Any], names: dict[str, Any]) -> str:
    parts = [re.sub(r"(?<!^)(?=[A-Z])", " ", str(event["SubType"])).lower()] if event.get("SubType") else []
    parent = names.get(event.get("ParentId"))
    if parent:
        parts.append(f"in {parent}")
    if kind == "InvocationCompleted":
        parts.append("an invocation ended (the next one replays from the top)")
    if "Duration" in details:
        parts.append(f"waits {details['Duration']} s")
    if kind.startswith("Callback") and kind.endswith("Started"):
        parts.append("waits for a callback" + (f", at most {details['Timeout']} s" if details.get("Timeout") else ""))
    retry = details.get("RetryDetails") or {}
    attempt, delay = retry.get("CurrentAttempt"), retry.get("NextAttemptDelaySeconds")
    if retry and kind.endswith("Failed"):
        parts.append(f"attempt {attempt} failed, retried in {delay} s" if delay is not None else "retried")
    elif isinstance(attempt, int) and attempt > 1:  # a success names the attempt it came on (Lambda: every one)
        parts.append(f"on attempt {attempt}")
    error = (
        decode_payload((details.get("Error") or {}).get("Payload", details.get("Error")))
        if details.get("Error")
        else None
    )
    if isinstance(error, dict):
        error_type = str(error.get("ErrorType") or error.get("errorType") or "").rsplit(".", 1)[-1]
        message = error.get("ErrorMessage") or error.get("errorMessage") or ""
        parts.append(": ".join(part for part in (error_type, str(message)) if part))
    elif error:
        parts.append(str(error))
    return " · ".join(part for part in parts if part)


def group_position(rows: list[dict[str, Any]], state: str, child_start: Any) -> int | None:
    """The id of the row a Task's durable execution is shown after: the Task's last event up to the moment the
    durable execution started (its TaskStarted or TaskSubmitted); the Task's first event when the times do not
    say; None when the Task has no row."""
    own = [row for row in rows if row["state"] == state]
    if not own:
        return None
    started = _time(child_start)
    before = [row for row in own if started and _time(row["at"]) and _time(row["at"]) <= started]
    return (before or own[:1])[-1]["id"]


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def _start_of(events: list[dict[str, Any]], key: str) -> datetime | None:
    times = [event.get(key) for event in events if isinstance(event.get(key), datetime)]
    return min(times) if times else None


def _elapsed_ms(start: datetime | None, at: Any) -> float | None:
    if start is None or not isinstance(at, datetime):
        return None
    return round((at - start).total_seconds() * 1000, 1)


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= DETAIL_LENGTH else line[: DETAIL_LENGTH - 1] + "…"
