"""A Step Functions execution's history turned into what each state did, for the console's execution view.

Reads the events of ``get_execution_history`` (already fetched: no boto3 here), the ``describe_execution``
answer and the ASL that ran, and answers each state's status (not reached, running, succeeded, failed, caught,
stopped, denied) with its input, output, error and cause, how often it was entered and whether a retry
succeeded. The history only says which state an event belongs to for the state's entry and exit; the events
between (a Task's scheduling, failure, retry) are traced back to their state through ``previousEventId``.
"""

from __future__ import annotations

from typing import Any

from duoflow.console.history_values import iso, json_or_text
from duoflow.diagrams.asl import all_states

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


def state_of(event: dict[str, Any], by_id: dict[int, dict[str, Any]], owner: dict[int, str]) -> str | None:
    """The state an event belongs to: named on a state's entry and exit, traced back through ``previousEventId``
    for the events between (a Task's scheduling, start, failure); ``owner`` remembers what was found (event id →
    state) for the next call on the same history."""
    seen, current, name = [], event, None
    while current is not None:
        if current["id"] in owner:
            name = owner[current["id"]]
            break
        details = current.get("stateEnteredEventDetails") or current.get("stateExitedEventDetails")
        if details:
            name = details["name"]
            break
        if current["type"].startswith("Execution"):
            break
        seen.append(current["id"])
        current = by_id.get(current.get("previousEventId"))
    if name:
        owner.update(dict.fromkeys([*seen, event["id"]], name))
    return name


def state_statuses(
    events: list[dict[str, Any]], execution: dict[str, Any], definition: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each state's status: not-reached, running, succeeded, failed, caught (it failed and a Catch moved on),
    or denied (the terminal state of a business refusal, with the reason as its cause)."""
    by_id = {event["id"]: event for event in events}
    owner: dict[int, str] = {}
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
            info.update(status="running", input=json_or_text(entered.get("input")), start=iso(event.get("timestamp")))
            info["entries"] = info.get("entries", 0) + 1
            info.pop("end", None)
            continue
        name = exited["name"] if exited else state_of(event, by_id, owner)
        if name is None:
            continue
        info = states.setdefault(name, {"type": "?"})
        if exited:
            info.update(status="succeeded", output=json_or_text(exited.get("output")), end=iso(event.get("timestamp")))
        elif kind in FAILURE_EVENTS:
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), {}) or {}
            info.update(error=details.get("error"), cause=details.get("cause"), failed_at_event=event["id"])
            info["failures"] = info.get("failures", 0) + 1
            info["end"] = iso(event.get("timestamp"))
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
    output = json_or_text(execution.get("output"))
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
