"""The rules that keep an ASL file readable by a compliance reviewer, checked on the raw file (placeholders unfilled).

    review_file(path)     every finding for one statemachines/*.asl.json, [] when it passes
    review(definition)    the same for a parsed definition (tests feed it broken ones)

What is checked, at every level (Parallel branches and Map item processors included):

- a top-level ``Comment``, and a ``Comment`` on every state;
- state names in Title Case words (``title_case_problem`` says exactly which rule);
- every Choice state's name ends in ``?``, and no other state's does (a question promises a decision);
- every Task has a ``Retry`` or a ``Catch`` (a Task with neither fails the whole execution on any error);
- every ``Next``, ``Default``, Choice rule and ``Catch`` leads to a state that exists in the same scope;
- every state can be reached from ``StartAt``;
- thresholds and timeouts are ``${Placeholders}``: a number in a Choice condition, ``TimeoutSeconds``,
  ``HeartbeatSeconds`` or a Wait's ``Seconds`` must be a placeholder, and (given the spec) one that
  ``catalog/state_machines.py`` fills from a ``domain`` constant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")

# Title Case: these words are written in lower case unless they begin the name or follow a colon ("Deny: ...").
# They are the articles, coordinating conjunctions and short prepositions that title-case styles (Chicago, APA)
# keep in lower case: issue 17's list (and, or, of, to, for, the, a, in, on, with, from, by, after, before)
# plus an, as, at, but, nor.
MINOR_WORDS = frozenset("a an the and but or nor as at by for from in of on to with after before".split())

# What a threshold or timeout may not be written as: a bare number.
NUMBER = re.compile(r"(?<![\w$.'\"])-?\d+(?:\.\d+)?(?![\w'\"])")
JSONPATH_LITERAL_COMPARISONS = (
    "NumericEquals",
    "NumericLessThan",
    "NumericGreaterThan",
    "NumericLessThanEquals",
    "NumericGreaterThanEquals",
    "TimestampEquals",
    "TimestampLessThan",
    "TimestampGreaterThan",
    "TimestampLessThanEquals",
    "TimestampGreaterThanEquals",
)


@dataclass(frozen=True)
class Finding:
    where: str  # "loan.asl.json: Request Manager Approval", or the file alone for the top level
    rule: str  # a short name of the rule broken: "comment", "title case", "retry or catch", ...
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"


def review_file(path: Path) -> list[Finding]:
    """Every finding for one ASL file, checked against the placeholders its state machine spec fills."""
    from catalog.state_machines import spec_for_file

    definition = json.loads(path.read_text())
    spec = spec_for_file(path)
    if spec is None:
        return [Finding(path.name, "spec", "no state machine in catalog/state_machines.py uses this file")]
    return review(definition, path.name, constants=frozenset(spec.constants))


def review(definition: Mapping[str, Any], label: str = "ASL", constants: frozenset[str] | None = None) -> list[Finding]:
    """Every finding for a definition. ``constants``: the placeholders filled from a domain constant (None: any
    placeholder is taken as one)."""
    findings = []
    if not _text(definition.get("Comment")):
        findings.append(Finding(label, "comment", "no top-level Comment saying what the state machine does"))
    findings += _review_scope(definition, label, constants)
    return findings


def _review_scope(scope: Mapping[str, Any], label: str, constants: frozenset[str] | None) -> list[Finding]:
    findings: list[Finding] = []
    states: Mapping[str, Any] = scope.get("States") or {}
    start = scope.get("StartAt")
    if start not in states:
        findings.append(Finding(label, "named state", f"StartAt {start!r} is not a state here"))
    for name, state in states.items():
        where = f"{label}: {name}"
        kind = state.get("Type")
        if not _text(state.get("Comment")):
            findings.append(Finding(where, "comment", "no Comment saying what the state does"))
        problem = title_case_problem(name)
        if problem:
            findings.append(Finding(where, "title case", problem))
        if kind == "Choice" and not name.endswith("?"):
            findings.append(Finding(where, "choice name", "a Choice state's name is a question ending in '?'"))
        if kind != "Choice" and name.endswith("?"):
            findings.append(Finding(where, "choice name", f"only a Choice state's name ends in '?' (this is a {kind})"))
        if kind == "Task" and not state.get("Retry") and not state.get("Catch"):
            findings.append(
                Finding(where, "retry or catch", "a Task with neither Retry nor Catch fails the execution on any error")
            )
        for how, target in _transitions(state):
            if target not in states:
                findings.append(Finding(where, "named state", f"{how} leads to {target!r}, which is not a state here"))
        findings += [Finding(where, "placeholder", message) for message in _literal_numbers(state, constants)]
        for i, branch in enumerate(state.get("Branches") or []):
            findings += _review_scope(branch, f"{where} (branch {i + 1})", constants)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            findings += _review_scope(processor, f"{where} (each item)", constants)
    for name in states:
        if name not in reachable(scope):
            findings.append(Finding(f"{label}: {name}", "unreachable", f"no path from StartAt {start!r} leads here"))
    return findings


def title_case_problem(name: str) -> str:
    """Why a state name is not Title Case words, or "" if it is.

    The rule: split on spaces, ignoring punctuation around a word (``:``, ``?``, ``,``, brackets, quotes). A
    ``${Placeholder}`` or a word beginning with a digit counts as capitalised. The first word, and the first after
    a colon, starts with a capital letter. Every other word starts with a capital letter, except the MINOR_WORDS,
    which are written all in lower case. Acronyms ("HR") are capitalised words."""
    words = name.split()
    if not words:
        return "the name is empty"
    starts_phrase = True
    for raw in words:
        word = raw.strip(":?,;()'\"")
        if word and not PLACEHOLDER.fullmatch(word) and not word[0].isdigit() and word[0] != "$":
            if starts_phrase and not word[0].isupper():
                return f"{word!r} begins the name or a phrase: it starts with a capital letter"
            if not starts_phrase and word.lower() in MINOR_WORDS and word != word.lower():
                return f"{word!r} is a short connecting word: written in lower case ({word.lower()!r})"
            if not starts_phrase and word.lower() not in MINOR_WORDS and not word[0].isupper():
                return f"{word!r} starts with a capital letter (Title Case)"
        starts_phrase = raw.endswith(":")
    return ""


def reachable(scope: Mapping[str, Any]) -> set[str]:
    """The states a path from StartAt reaches, in one scope (a branch's states are its own scope)."""
    states: Mapping[str, Any] = scope.get("States") or {}
    seen: set[str] = set()
    todo = [scope.get("StartAt")]
    while todo:
        name = todo.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        todo += [target for _, target in _transitions(states[name])]
    return seen


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if "Next" in state:
        yield "Next", state["Next"]
    for i, rule in enumerate(state.get("Choices") or []):
        if "Next" in rule:
            yield f"Choice rule {i + 1}", rule["Next"]
    if "Default" in state:
        yield "Default", state["Default"]
    for i, catcher in enumerate(state.get("Catch") or []):
        yield f"Catch {i + 1} ({', '.join(catcher.get('ErrorEquals', []))})", catcher.get("Next")


def _literal_numbers(state: Mapping[str, Any], constants: frozenset[str] | None) -> Iterator[str]:
    """A threshold or timeout written as a number, or as a placeholder not filled from a domain constant."""
    fields = {"Task": ("TimeoutSeconds", "HeartbeatSeconds"), "Wait": ("Seconds",)}.get(state.get("Type"), ())
    for field in fields:
        if field in state:
            yield from _must_be_constant(field, state[field], constants)
    for i, rule in enumerate(state.get("Choices") or []):
        yield from _choice_rule_numbers(rule, f"Choice rule {i + 1}", constants)


def _choice_rule_numbers(rule: Mapping[str, Any], where: str, constants: frozenset[str] | None) -> Iterator[str]:
    if "Condition" in rule:  # JSONata: any number in it is a threshold
        condition = str(rule["Condition"])
        bare = NUMBER.findall(_without_strings(PLACEHOLDER.sub("", condition)))
        if bare:
            yield f"{where}: the number {bare[0]} in {condition!r} must be a ${{Placeholder}} from a domain constant"
        yield from _unknown_placeholders(f"{where} condition", condition, constants)
    for key in JSONPATH_LITERAL_COMPARISONS:  # JSONPath: a literal comparison value
        if key in rule:
            yield from _must_be_constant(f"{where} {key}", rule[key], constants)
    for key in ("And", "Or"):
        for j, inner in enumerate(rule.get(key) or []):
            yield from _choice_rule_numbers(inner, f"{where} {key} {j + 1}", constants)
    if "Not" in rule:
        yield from _choice_rule_numbers(rule["Not"], f"{where} Not", constants)


def _must_be_constant(field: str, value: Any, constants: frozenset[str] | None) -> Iterator[str]:
    if not isinstance(value, str) or not PLACEHOLDER.search(value):
        yield f"{field} is {value!r}: it must be a ${{Placeholder}} filled from a domain constant"
        return
    yield from _unknown_placeholders(field, value, constants)


def _unknown_placeholders(field: str, value: str, constants: frozenset[str] | None) -> Iterator[str]:
    if constants is None:
        return
    for name in PLACEHOLDER.findall(value):
        if name not in constants:
            yield f"{field}: ${{{name}}} is not filled from a domain constant (catalog/state_machines.py)"


def _without_strings(expression: str) -> str:
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", expression)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
