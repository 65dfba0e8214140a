"""A state machine as a policy document: what `duoflow explain` writes, for a compliance reviewer.

    duoflow explain statemachines/loan.asl.json      the loan's policy as Markdown, on stdout (--out PATH: a file)
    duoflow explain --all                            docs/policies/<name>.md for every statemachines/*.asl.json
    duoflow explain --check                          exit 1 if the ASL review finds a problem or a document is stale

The document walks through the states in the file's order, numbered: what each step does (its Comment), each
decision's rules in words with the domain constant's value and where it is set, each wait's time limit and the
state reached when it runs out, which errors lead where. Numbers come from the values catalog/state_machines.py
fills in (``spec.constants``), so the document says what the deployed state machine does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.state_machines import STATEMACHINES_DIR, DomainConstant, spec_for_file
from duoflow.asl_review import PLACEHOLDER, review_file
from duoflow.diagrams import DURABLE_FUNCTIONS, namer_for
from duoflow.diagrams.asl import ERROR_WORDS, task_note

ROOT = STATEMACHINES_DIR.parent
POLICIES_DIR = ROOT / "docs" / "policies"
OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "is", "!=": "is not"}
SIMPLE_CONDITION = re.compile(r"^\{%\s*\$(\w+)((?:\.\w+)*)\s*(>=|<=|!=|=|>|<)\s*(.+?)\s*%\}$")


@dataclass(frozen=True)
class _Step:
    number: str
    name: str
    state: Mapping[str, Any]
    scope: Mapping[str, str]  # state name → its number, in the same scope


def policy_path(asl_path: Path, out_dir: Path | None = None) -> Path:
    return (out_dir or POLICIES_DIR) / (asl_path.name.removesuffix(".asl.json") + ".md")


def policy_markdown(asl_path: Path) -> str:
    """The policy document for one ASL file, as Markdown."""
    definition = json.loads(asl_path.read_text())
    spec = spec_for_file(asl_path)
    writer = _Writer(spec.constants if spec else {}, namer_for(asl_path.name))
    return writer.document(definition, asl_path, spec.name if spec else None)


def expected_files(out_dir: Path | None = None) -> dict[Path, str]:
    asl_files = sorted(STATEMACHINES_DIR.glob("*.asl.json"))
    return {policy_path(path, out_dir): policy_markdown(path) for path in asl_files}


def write_all(out_dir: Path | None = None) -> list[Path]:
    expected = expected_files(out_dir)
    for path, text in expected.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return list(expected)


def stale(out_dir: Path | None = None) -> list[str]:
    """Policy documents that are missing, out of date, or left without an ASL file."""
    out_dir = out_dir or POLICIES_DIR
    expected = expected_files(out_dir)
    found = [
        f"{path.name} ({'missing' if not path.exists() else 'out of date'})"
        for path, text in expected.items()
        if not path.exists() or path.read_text() != text
    ]
    found += [f"{path.name} (no ASL file any more)" for path in sorted(out_dir.glob("*.md")) if path not in expected]
    return found


def problems(asl_files: list[Path] | None = None) -> list[str]:
    """What `duoflow explain --check` reports: the ASL review's findings for the files (all of statemachines/ by
    default), then every stale policy document."""
    files = asl_files if asl_files is not None else sorted(STATEMACHINES_DIR.glob("*.asl.json"))
    found = [str(finding) for path in files for finding in review_file(path)]
    return found + [f"stale policy document: docs/policies/{name} — run `duoflow explain --all`" for name in stale()]


def constant_words(constant: DomainConstant) -> str:
    """A constant's value as a person reads it: "$100,000", "30 minutes", "72 hours", "76", "“no HR decision”"."""
    value = constant.value
    if constant.unit == "dollars":
        return f"${value:,}"
    if constant.unit == "seconds" and isinstance(value, int):
        return duration_words(value)
    if constant.unit:
        return str(value)
    return f"“{value}”"


def duration_words(seconds: int) -> str:
    """A whole number of seconds in the largest unit that divides it: "30 minutes", "72 hours", "1 second"."""
    for size, word in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {word}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


class _Writer:
    def __init__(self, constants: Mapping[str, DomainConstant], function_name) -> None:
        self.constants = constants
        self.function_name = function_name

    def fill(self, text: str) -> str:
        """A name or a Comment with each domain constant's value in place of its placeholder."""
        return PLACEHOLDER.sub(lambda m: str(self.constants.get(m.group(1), m.group(0))), text)

    def value(self, text: str) -> str:
        """``${Name}`` (or ``{% ${Name} %}``) → "30 minutes (domain/loan/rules.py MANAGER_APPROVAL_TIMEOUT_SECONDS)"."""
        match = PLACEHOLDER.search(text)
        constant = self.constants.get(match.group(1)) if match else None
        if constant is None:
            return f"`{text}`"
        return f"{constant_words(constant)} ({constant.cited})"

    def document(self, definition: Mapping[str, Any], asl_path: Path, spec_name: str | None) -> str:
        comment = self.fill(definition.get("Comment", ""))
        title, _, rest = comment.partition(". ")
        source = f"statemachines/{asl_path.name}"
        lines = [
            f"# {title.rstrip('.')}",
            "",
            f"Generated by `duoflow explain {source}` from that file and the values `catalog/state_machines.py`"
            f" fills in{f' (state machine `{spec_name}`)' if spec_name else ''}. Do not edit it by hand:"
            " `duoflow explain --all` rewrites it, and `tests/unit/test_policies.py` fails when it is stale.",
            "",
            "How to read a step: its number and name as in the ASL file and the diagram, what kind of step it is, its"
            " Comment, then where it leads. A failing step is first tried again as its retries say; only when they are"
            " spent does a “when it fails” line apply. Numbers are the values deployed, each with the constant that"
            " sets it.",
            "",
        ]
        if rest:
            lines += [rest, ""]
        lines += self.limits(definition)
        waits = self.waits(definition)
        if waits:
            lines += ["## Waits and what happens when the time runs out", ""]
            lines += ["| step | time limit | when it runs out |", "|---|---|---|", *waits, ""]
        lines += ["## The steps, in order", ""]
        lines += self.steps(definition, "", 3)
        return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"

    def limits(self, definition: Mapping[str, Any]) -> list[str]:
        raw = json.dumps(definition)
        used = [name for name in self.constants if "${" + name + "}" in raw]
        if not used:
            return []
        lines = ["## Rules and limits", "", "| value | placeholder | set in |", "|---|---|---|"]
        for name in used:
            constant = self.constants[name]
            lines.append(
                f"| {constant_words(constant)} | `${{{name}}}` | `{constant.source}` `{constant.expression}` |"
            )
        return [*lines, ""]

    def steps(self, scope: Mapping[str, Any], prefix: str, level: int) -> list[str]:
        states: Mapping[str, Any] = scope.get("States") or {}
        numbers = {name: f"{prefix}{i}" for i, name in enumerate(states, start=1)}
        lines = []
        for name, state in states.items():
            step = _Step(numbers[name], name, state, numbers)
            lines += [f"{'#' * level} {step.number}. {self.fill(name)} — {self.kind(state, nested=bool(prefix))}", ""]
            if state.get("Comment"):
                lines += [self.fill(state["Comment"]), ""]
            details = self.details(step)
            branches = state.get("Branches") or []
            for b, branch in enumerate(branches, start=1):
                count = len(branch.get("States") or {})
                details.append(f"Branch {b}: steps {step.number}.{b}.1 to {step.number}.{b}.{count}, below")
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                details.append(f"For each item: steps {step.number}.1 to {step.number}.{len(processor['States'])}")
            if details:
                lines += [f"- {item}" for item in details] + [""]
            for b, branch in enumerate(branches, start=1):
                lines += self.steps(branch, f"{step.number}.{b}.", min(level + 1, 6))
            if processor:
                lines += self.steps(processor, f"{step.number}.", min(level + 1, 6))
        return lines

    def waits(self, scope: Mapping[str, Any], prefix: str = "") -> list[str]:
        """A table row per state with a time limit: the step, the limit, where it leads when the time runs out."""
        states: Mapping[str, Any] = scope.get("States") or {}
        numbers = {name: f"{prefix}{i}" for i, name in enumerate(states, start=1)}
        rows = []
        for name, state in states.items():
            step = _Step(numbers[name], name, state, numbers)
            if "TimeoutSeconds" in state:
                then = self.when_time_runs_out(step).removeprefix("When it runs out → ")
                rows.append(
                    f"| {step.number}. {self.fill(name)} | {self.value(str(state['TimeoutSeconds']))} | {then} |"
                )
            for b, branch in enumerate(state.get("Branches") or [], start=1):
                rows += self.waits(branch, f"{step.number}.{b}.")
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                rows += self.waits(processor, f"{step.number}.")
        return rows

    def kind(self, state: Mapping[str, Any], nested: bool = False) -> str:
        kind = state.get("Type")
        if nested and kind == "Fail":
            return f"fails this branch, and so the step it belongs to, with the error `{state.get('Error', '')}`"
        if nested and kind == "Succeed":
            return "this branch ends"
        if kind == "Task":
            note = task_note(state, self.function_name, DURABLE_FUNCTIONS).split(" · ")[0]
            waits = state.get("Resource", "").endswith(".waitForTaskToken")
            return ("waits for an answer" if waits else "a step") + (f" ({note})" if note else "")
        return {
            "Choice": "a decision",
            "Pass": "sets the outcome" if state.get("Assign") else "a named point on the way",
            "Succeed": "the end: a business outcome",
            "Fail": f"the end, failed with the error `{state.get('Error', '')}`",
            "Parallel": f"{len(state.get('Branches') or [])} branches at the same time",
            "Map": "the same steps for each item",
            "Wait": "a wait",
        }.get(kind, kind)

    def details(self, step: _Step) -> list[str]:
        state = step.state
        items = []
        for rule in state.get("Choices") or []:
            items.append(f"If {self.condition(rule)} → {self.to(step, rule['Next'])}")
        if "Default" in state:
            items.append(f"Otherwise → {self.to(step, state['Default'])}")
        if "TimeoutSeconds" in state:
            items.append(f"Time limit: {self.value(str(state['TimeoutSeconds']))}. {self.when_time_runs_out(step)}")
        if "HeartbeatSeconds" in state:
            items.append(f"Must show it is alive every {self.value(str(state['HeartbeatSeconds']))}.")
        if "Seconds" in state:
            items.append(f"Waits {self.value(str(state['Seconds']))}.")
        for retrier in state.get("Retry") or []:
            items.append(self.retry(retrier))
        items += self.catches(step)
        if "Next" in state:
            items.append(f"Then → {self.to(step, state['Next'])}")
        elif state.get("End"):
            items.append("Then this branch ends." if "." in step.number.rstrip(".") else "Then the workflow ends.")
        return items

    def condition(self, rule: Mapping[str, Any]) -> str:
        text = str(rule.get("Condition", ""))
        match = SIMPLE_CONDITION.match(text)
        comment = f" ({rule['Comment']})" if rule.get("Comment") else ""
        if not match:
            return f"`{self.fill(text) or json.dumps(rule)}`{comment}"
        variable, path, operator, right = match.groups()
        fields = [part for part in path.split(".") if part]
        field = fields[-1].replace("_", " ") if fields else variable
        subject = field if (" " in field or field == variable) else f"{variable} {field}"
        if right in ("true", "false") and operator in ("=", "!="):
            negated = (right == "false") != (operator == "!=")
            return ("not " if negated else "") + subject + comment
        if right.startswith("'") and right.endswith("'"):
            right = f"“{right[1:-1]}”"
        elif PLACEHOLDER.fullmatch(right):
            right = self.value(right)
        return f"{subject} {OPERATORS[operator]} {right}{comment}"

    def when_time_runs_out(self, step: _Step) -> str:
        for catcher in step.state.get("Catch") or []:
            errors = catcher.get("ErrorEquals", [])
            if "States.Timeout" in errors or "States.ALL" in errors:
                return f"When it runs out → {self.to(step, catcher['Next'])}"
        return "When it runs out, the execution fails (States.Timeout)."

    def retry(self, retrier: Mapping[str, Any]) -> str:
        errors = _errors(retrier.get("ErrorEquals", []))
        attempts = retrier.get("MaxAttempts", 3)
        if attempts == 0:
            return f"On {errors}: not tried again."
        interval = retrier.get("IntervalSeconds", 1)
        backoff = retrier.get("BackoffRate", 2.0)
        growth = f", each wait {backoff:g} times the last" if backoff != 1 else ""
        return f"On {errors}: tried again up to {attempts} times, first after {interval} s{growth}."

    def catches(self, step: _Step) -> list[str]:
        items = []
        earlier = False
        for catcher in step.state.get("Catch") or []:
            errors = _errors(catcher.get("ErrorEquals", []))
            if earlier and errors == "any error":
                errors = "any other error"
            comment = f" — {catcher['Comment']}" if catcher.get("Comment") else ""
            items.append(f"When it fails with {errors} → {self.to(step, catcher['Next'])}{comment}")
            earlier = True
        return items

    def to(self, step: _Step, target: str) -> str:
        number = step.scope.get(target)
        return f"**{self.fill(target)}**" + (f" (step {number})" if number else "")


def _errors(names: list[str]) -> str:
    lambdas = [name.removeprefix("Lambda.") for name in names if name.startswith("Lambda.")]
    words = [ERROR_WORDS.get(name, f"`{name}`") if name == "States.ALL" else _error(name) for name in names]
    if lambdas:
        words = [word for word, name in zip(words, names, strict=True) if not name.startswith("Lambda.")]
        words.insert(0, f"Lambda's own errors ({', '.join(lambdas)})")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _error(name: str) -> str:
    word = ERROR_WORDS.get(name)
    return f"{word} (`{name}`)" if word else f"`{name}`"
