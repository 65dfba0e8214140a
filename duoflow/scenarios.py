"""The canonical demo cases (scenarios/<scenario>/<case>.json), read by the demo, the tests and the benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
CASE_ORDER = {"loan": ["alice", "bob", "charlie", "charlie-30k"]}


@dataclass(frozen=True)
class LoanCase:
    case: str
    title: str
    application: dict[str, Any]
    manager: dict[str, Any] | None
    expected: dict[str, Any]


def loan_cases(names: list[str] | None = None) -> list[LoanCase]:
    available = {path.stem: path for path in (SCENARIOS_DIR / "loan").glob("*.json")}
    order = CASE_ORDER["loan"] + sorted(set(available) - set(CASE_ORDER["loan"]))
    wanted = names or order
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise KeyError(f"no loan case named {', '.join(unknown)}; the cases are {', '.join(order)}")
    return [_load(available[name]) for name in wanted]


def _load(path: Path) -> LoanCase:
    data = json.loads(path.read_text())
    return LoanCase(
        case=data["case"],
        title=data["title"],
        application=data["application"],
        manager=data.get("manager"),
        expected=data["expected"],
    )
