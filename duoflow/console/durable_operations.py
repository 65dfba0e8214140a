"""A durable execution's history turned into its operations, for the console's durable timeline.

Reads the events of ``get_durable_execution_history`` (already fetched: no boto3 here) and answers the
operations (steps, parallel branches, callbacks, waits, child contexts) as a tree in the order they started,
each with its status, attempts, retry, result and error, and the handler's invocations (each one a replay
from the top). Results and errors are checkpointed in the durable SDK's typed envelope; they are unwrapped
here so the console shows the values the workflow's code saw.
"""

from __future__ import annotations

from typing import Any

from duoflow.console.history_values import iso, json_or_text

ENDINGS = ("Started", "Succeeded", "Failed", "TimedOut", "Cancelled", "Stopped")


def operations(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The durable execution's operations in the order they started, each with its parent (parallel branches
    and callbacks nest), start, end, status, attempts, result and error; and the invocations (each one a
    replay of the handler from the top)."""
    ops: dict[str, dict[str, Any]] = {}
    invocations = []
    ended: tuple[str, str | None] | None = None  # how and when the execution ended, if it has
    for event in events:
        kind = event["EventType"]
        at = iso(event.get("EventTimestamp"))
        if kind.startswith("Execution") or not event.get("Id"):
            if kind == "InvocationCompleted":
                invocations.append(at)
            elif kind in ("ExecutionStopped", "ExecutionFailed", "ExecutionTimedOut"):
                ended = (kind, at)
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
                    op[key[0].lower() + key[1:]] = iso(details[key])
        else:
            op["end"] = at
            op["status"] = ending.lower() if ending else kind
            if "Result" in details:
                op["result"] = decode_payload((details["Result"] or {}).get("Payload"))
            if "Error" in details:
                op["error"] = decode_payload((details["Error"] or {}).get("Payload", details["Error"]))
            # a failed attempt with a retry to come; a success carries RetryDetails too (the attempt it succeeded on)
            if ending == "Failed" and details.get("RetryDetails"):
                op["status"] = "retrying"
                op["retry"] = _iso_all(details["RetryDetails"])
    if ended:  # what was still under way when the execution ended (stopped, failed, timed out) ended with it
        for op in ops.values():
            if op["status"] == "running":
                op.update(status="stopped", end=ended[1])
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
    return iso(value)


def decode_payload(payload: Any) -> Any:
    """A checkpointed value as JSON: the durable SDK's typed envelope ({"t": "m", "v": {...}}) unwrapped."""
    value = _unwrap(json_or_text(payload))
    if isinstance(value, str) and value[:1] in "{[":
        return json_or_text(value)  # a callback's answer: JSON text inside the JSON envelope
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
