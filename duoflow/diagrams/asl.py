"""An ASL document → a Graph: one node per state (Parallel branches and Map processors nested inside their
state), edges for Next, End, Choice rules, Default and Catch.

State names are unique in a state machine (nested ones included), so they are the node ids: the console finds
a state of the execution history in the drawing by its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from duoflow.diagrams.graph import Edge, Graph, Node

START, END = "__start__", "__end__"
SHAPE = {"Choice": "choice", "Succeed": "terminal", "Fail": "terminal", "Parallel": "group", "Map": "group"}
ERROR_WORDS = {"States.ALL": "any error", "States.Timeout": "timeout", "States.TaskFailed": "task failed"}

# A function's name from the value of a Task's FunctionName: an ARN, a ${Placeholder} or a plain name.
FunctionNamer = Callable[[str], str | None]


def function_name_from_arn(value: str) -> str | None:
    match = re.search(r":function:([^:]+)", value)
    return match.group(1) if match else (value if value and "$" not in value and "{" not in value else None)


def asl_graph(
    definition: Mapping[str, Any],
    function_name: FunctionNamer = function_name_from_arn,
    durable_functions: frozenset[str] = frozenset(),
) -> Graph:
    """The whole machine, with a Start and an End node as the Step Functions console draws them."""
    graph = _states_graph(definition, function_name, durable_functions, top=True)
    graph.nodes.insert(0, Node(START, "Start", "terminal", "Start"))
    graph.nodes.append(Node(END, "End", "terminal", "End"))
    graph.edges.insert(0, Edge(START, definition["StartAt"], "next"))
    graph.start = START
    return graph


def _states_graph(
    definition: Mapping[str, Any], function_name: FunctionNamer, durable: frozenset[str], top: bool = False
) -> Graph:
    graph = Graph(start=definition["StartAt"])
    for name, state in definition["States"].items():
        kind = state["Type"]
        node = Node(name, name, SHAPE.get(kind, "box"), kind, note=task_note(state, function_name, durable))
        if kind == "Parallel":
            node.children = [_states_graph(branch, function_name, durable) for branch in state.get("Branches", [])]
            node.note = f"{len(node.children)} branches at once"
        elif kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                node.children = [_states_graph(processor, function_name, durable)]
                node.note = "for each item"
        graph.nodes.append(node)
        rules = state.get("Choices", [])
        yes_no = kind == "Choice" and len(rules) == 1 and "Default" in state and name.endswith("?")
        for i, rule in enumerate(rules):
            label = "yes" if yes_no else rule.get("Comment") or f"rule {i + 1}"
            graph.edges.append(Edge(name, rule["Next"], "choice", _short(label)))
        if "Default" in state:
            graph.edges.append(Edge(name, state["Default"], "default", "no" if yes_no else "otherwise"))
        if "Next" in state:
            graph.edges.append(Edge(name, state["Next"], "next"))
        for catcher in state.get("Catch", []):
            errors = ", ".join(ERROR_WORDS.get(error, error) for error in catcher.get("ErrorEquals", []))
            graph.edges.append(Edge(name, catcher["Next"], "catch", _short(errors)))
        if top and (state.get("End") or kind == "Succeed"):
            graph.edges.append(Edge(name, END, "end"))
    return graph


def task_note(state: Mapping[str, Any], function_name: FunctionNamer, durable: frozenset[str]) -> str:
    """What a Task calls, in a few words: "durable function loan-assessment", "SNS publish"."""
    if state.get("Type") != "Task":
        return ""
    resource = state.get("Resource", "")
    service = resource.removeprefix("arn:aws:states:::")
    waits = service.endswith(".waitForTaskToken")
    service = service.removesuffix(".waitForTaskToken").removesuffix(".sync")
    arguments = state.get("Arguments") or state.get("Parameters") or {}
    if service in ("lambda:invoke", "aws-sdk:lambda:invoke") or resource.startswith("arn:aws:lambda:"):
        name = function_name(str(arguments.get("FunctionName", resource))) or "a function"
        what = f"durable function {name}" if name in durable else f"Lambda {name}"
        return what + (" · waits for its answer" if waits else "")
    service = service.removeprefix("aws-sdk:")
    if ":" in service:
        api, action = service.split(":", 1)
        return f"{_SERVICE_NAMES.get(api, api)} {action}" + (" · waits" if waits else "")
    return service


_SERVICE_NAMES = {"sns": "SNS", "dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "bedrockruntime": "Bedrock"}


def called_function(state: Mapping[str, Any], function_name: FunctionNamer = function_name_from_arn) -> str | None:
    """The Lambda function a Task state invokes, if any."""
    if state.get("Type") != "Task":
        return None
    arguments = state.get("Arguments") or state.get("Parameters") or {}
    resource = state.get("Resource", "")
    if "lambda:invoke" in resource or resource.startswith("arn:aws:lambda:"):
        return function_name(str(arguments.get("FunctionName", resource)))
    return None


def all_states(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Every state by name, nested ones included."""
    found: dict[str, Mapping[str, Any]] = {}
    for name, state in definition.get("States", {}).items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found.update(all_states(processor))
    return found


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
