"""What every answer to a bad request must be (issue 14, item 3), and the figures kept per route: a 4xx with the
right status (400 for a broken rule, 413 above 64 KiB naming the limit, 415 for a body that is not
application/json), never a 5xx, never accepted, and a JSON body whose ``errors`` name each field and its rule.

A failure is filed under a class — what was made wrong, and what went wrong with the answer — keeping the
smallest request of the class as its example, so a report lists each distinct failure once."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.api.bad_input_bodies import BODY_LIMIT, BadRequest

LIMIT_WRITTEN = (f"{BODY_LIMIT:,}", str(BODY_LIMIT), f"{BODY_LIMIT // 1024} KiB", f"{BODY_LIMIT // 1024}KiB")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    raised: str | None = None  # what the server raised, when it is known (the exception's type)


def _error_list(payload: Any) -> list[dict[str, str]] | None:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list) or not errors:
        return None
    for error in errors:
        if not (isinstance(error, dict) and all(isinstance(error.get(k), str) and error[k] for k in ("field", "rule"))):
            return None
    return errors


def _names(field_name: str, accepted: frozenset[str]) -> bool:
    """An error's field names one of ``accepted`` (an echoed unknown key may be cut short, ending in '…')."""
    if field_name in accepted:
        return True
    if field_name.endswith("…") and any(name.startswith(field_name[:-1]) for name in accepted):
        return True
    return any(field_name.endswith("." + name) or field_name.endswith("/" + name) for name in accepted)


def problems(bad: BadRequest, answer: Answer) -> list[str]:
    """What is wrong with ``answer`` to ``bad``: each a class name (nothing specific to this one request)."""
    if answer.status >= 500:
        return [f"{answer.status}" + (f" ({answer.raised})" if answer.raised else "")]
    if answer.status < 400:
        return [f"accepted ({answer.status})"]
    found = []
    if answer.status not in bad.expected_statuses:
        found.append(f"{answer.status} instead of {' or '.join(map(str, sorted(bad.expected_statuses)))}")
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return [*found, f"{answer.status} whose body is not JSON"]
    errors = _error_list(payload)
    if errors is None:
        return [*found, f"{answer.status} without errors naming field and rule"]
    if answer.status == 413:
        said = json.dumps(payload, ensure_ascii=False)
        if not any(limit in said for limit in LIMIT_WRITTEN):
            found.append("413 that does not name the 64 KiB limit")
    if found or answer.status in (413, 415):  # the body or its type as a whole: any field name will do
        return found
    named = {error["field"] for error in errors}
    hits = [accepted is None or any(_names(f, accepted) for f in named) for accepted in bad.named_as]
    if not (any(hits) if bad.body_level else all(hits)):
        found.append(f"{answer.status} whose errors do not name the field")
    return found


@dataclass
class Failure:
    count: int
    example: dict[str, Any]
    size: int


@dataclass
class Figures:
    """One route's run: how many inputs, what they got, and each class of failure with its smallest example."""

    route: str
    tried: int = 0
    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    rearmed: list[str] = field(default_factory=list)  # pending cases started again after bad input answered one
    rearm_seconds: float = 0.0
    skipped: int = 0  # not sent: too many pending cases answered by bad input already
    repeated: int = 0  # generated again: not sent twice

    def add(self, bad: BadRequest, answer: Answer, seconds: float) -> None:
        self.tried += 1
        self.kinds[bad.kind] += 1
        self.statuses[str(answer.status)] += 1
        self.latencies_ms.append(seconds * 1000)
        for problem in problems(bad, answer):
            key = (bad.kind, problem)
            known = self.failures.get(key)
            if known is None or len(bad.content) < known.size:
                example = {"request": bad.describe(), "status": answer.status, "answer": answer.body[:500]}
                if answer.raised:
                    example["raised"] = answer.raised
                self.failures[key] = Failure((known.count if known else 0), example, len(bad.content))
            self.failures[key].count += 1

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if int(status) >= 500)

    @property
    def accepted(self) -> int:
        return sum(count for status, count in self.statuses.items() if int(status) < 400)

    def failure_lines(self) -> list[str]:
        return [
            f"{kind}: {problem} ×{failure.count}, e.g. {json.dumps(failure.example, ensure_ascii=False)[:400]}"
            for (kind, problem), failure in sorted(self.failures.items())
        ]

    def as_json(self, changes: dict[str, Any]) -> dict[str, Any]:
        latencies = sorted(self.latencies_ms) or [0.0]
        return {
            "route": self.route,
            "inputs_generated": self.tried + self.skipped + self.repeated,
            "inputs_tried": self.tried,
            "server_errors_5xx": self.server_errors,
            "accepted_2xx": self.accepted,
            "executions_started_by_bad_input": len(changes.get("executions started", [])),
            "changes": changes,
            "seconds": round(self.seconds, 1),
            "seconds_per_1000": round(self.seconds * 1000 / max(self.tried, 1), 1),
            "median_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
            "max_ms": round(latencies[-1], 1),
            "rearmed": len(self.rearmed),
            "rearm_seconds": round(self.rearm_seconds, 1),
            "skipped": self.skipped,
            "statuses": dict(sorted(self.statuses.items())),
            "kinds": dict(sorted(self.kinds.items())),
            "failure_classes": [
                {"kind": kind, "problem": problem, "count": failure.count, "example": failure.example}
                for (kind, problem), failure in sorted(self.failures.items())
            ],
        }
