"""The canonical demo cases (scenarios/<scenario>/<case>.json), read by the demo, the tests and the benchmark."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.loan.rules import requires_manager_approval

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
CASE_ORDER = {"loan": ["alice", "bob", "charlie", "charlie-30k"]}


@dataclass(frozen=True)
class LoanCase:
    case: str
    title: str
    application: dict[str, Any]
    manager: dict[str, Any] | None
    expected: dict[str, Any]

    @property
    def needs_manager(self) -> bool:
        """The amount asks for a manager's approval (domain/loan/rules.py); False for an amount that is not a
        number, which the intake refuses before any approval."""
        amount = self.application.get("loan_amount")
        return isinstance(amount, int | float) and requires_manager_approval(amount)


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


# --- training requests --------------------------------------------------------------------------------------------

CASE_ORDER["training"] = [
    "hiring-specialist",
    "junior-developer",
    "driver",
    "accountant",
    "marketing-specialist",
    "senior-developer",
    "provider-full",
]


@dataclass(frozen=True)
class TrainingCase:
    case: str
    title: str
    request: dict[str, Any]  # the uploaded document (no request_id: the object key names it)
    hr: dict[str, Any] | None  # what the simulated HR reviewer answers (POST /reviews/{id}) if asked
    expected: dict[str, Any]  # band (a person's judgement), outcome, reason, audit_trail


def training_cases(names: list[str] | None = None) -> list[TrainingCase]:
    available = {
        path.stem: path
        for path in (SCENARIOS_DIR / "training").glob("*.json")
        if "request" in json.loads(path.read_text())  # not the scorer's calibration set
    }
    order = [name for name in CASE_ORDER["training"] if name in available]
    order += sorted(set(available) - set(order))
    wanted = names or order
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise KeyError(f"no training case named {', '.join(unknown)}; the cases are {', '.join(order)}")
    return [_load_training(available[name]) for name in wanted]


def _load_training(path: Path) -> TrainingCase:
    data = json.loads(path.read_text())
    return TrainingCase(
        case=data["case"], title=data["title"], request=data["request"], hr=data.get("hr"), expected=data["expected"]
    )
