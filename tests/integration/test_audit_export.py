"""`duoflow audit ID` on every demo case: the export read from the runtime's state directory while it runs (the
command on a stopped server's state: tests/cli/test_reload.py), the three variants' trails agreeing on every business event, every person's decision with their name
and comment, the rule that applied beside each decision point, and nothing that identifies an applicant."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from duoflow.audit_export import AuditExport, audit_export, render
from duoflow.demo import run_loan_case
from duoflow.runtime import LocalRuntime
from duoflow.runtime.saved_state import SavedState
from duoflow.scenarios import loan_cases, training_cases
from duoflow.stack import local_stack
from duoflow.training_demo import run_training_case
from duoflow.variants import LOAN_VARIANTS
from services.scorer.local_model import MODEL_ID as LOCAL_MODEL_ID
from tests.integration.parity import TIME_CONTROL  # timeouts at 1/30: a screening on a busy machine is not cut short
from tests.integration.test_training_uploads import review_band_case

VARIANTS = LOAN_VARIANTS


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalRuntime, Path]]:
    state = tmp_path_factory.mktemp("audited")
    with local_stack(TIME_CONTROL, state_dir=state) as running:
        yield running, state


REFERENCE = re.compile(r"\b[A-Z]{3,4}-\d{6,}\b")  # a reference made from the id: disbursement, budget, seat, calendar


def business(export: AuditExport) -> list[tuple[str, str, str, str]]:
    """The business record with the id and the references made from it taken out: what must agree across variants."""
    return [
        (e.event, e.by, REFERENCE.sub("REF", e.what.replace(export.id, "ID")), e.rule) for e in export.business_record
    ]


def every_rendering(export: AuditExport, state: Path) -> dict[str, str]:
    return {fmt: render(export, fmt, str(state)) for fmt in ("md", "json", "csv")}


def assert_nothing_identifying(texts: dict[str, str], *secrets: str) -> None:
    for fmt, text in texts.items():
        for secret in secrets:
            assert not re.search(rf"(?<!\d){re.escape(secret)}(?!\d)", text), f"{secret} in the {fmt} export"


def assert_renderings_agree(export: AuditExport, texts: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(texts["csv"])))
    assert [row["what"] for row in rows] == [entry.what for entry in export.trail]
    document = json.loads(texts["json"])
    assert (document["id"], len(document["trail"])) == (export.id, len(export.trail))
    assert [entry["at"] for entry in document["trail"]] == sorted(entry["at"] for entry in document["trail"])
    for entry in export.business_record:
        assert entry.what.replace("|", "\\|") in texts["md"]


@pytest.mark.parametrize("case", loan_cases(), ids=lambda case: case.case)
def test_every_loan_case_exports_one_trail_that_agrees_on_every_variant(served, case):
    runtime, state = served
    exports = {}
    for variant in VARIANTS:
        result = run_loan_case(runtime, case, variant)
        assert result.as_expected, result
        exports[variant] = audit_export(SavedState(state), result.id)  # read while the server runs

    records = {variant: business(export) for variant, export in exports.items()}
    assert records["sfn"] == records["durable"] == records["hybrid"], records
    for variant, export in exports.items():
        assert export.variant == variant
        assert dict(export.facts)["Outcome"].startswith(f"{case.expected['outcome']}: {case.expected['reason']}")
        kinds = {execution["kind"] for execution in export.executions}
        assert (
            kinds
            == {
                "sfn": {"Step Functions"},
                "durable": {"Durable function"},
                "hybrid": {"Step Functions", "Durable function"},
            }[variant]
        )
        assert any(not entry.is_business for entry in export.trail)  # the executions' own steps are in it
        texts = every_rendering(export, state)
        assert_renderings_agree(export, texts)
        assert_nothing_identifying(
            texts,
            case.application["sin_last4"],
            f"{case.application['annual_income']:.0f}",
            f"{case.application['annual_income']:,.0f}",
        )

    trail = exports["hybrid"]
    events = [entry.event for entry in trail.business_record]
    if "manager-decision" in events:  # every person's decision: who, and their comment, in the document's head
        decision = next(entry for entry in trail.business_record if entry.event == "manager-decision")
        assert decision.by == case.manager["manager"] and case.manager["comment"] in decision.what
        assert "## Decisions made by people" in render(trail, "md", str(state))
        requested = next(entry for entry in trail.business_record if entry.event == "manager-approval-requested")
        assert "$100,000" in requested.rule and "MANAGER_APPROVAL_THRESHOLD" in requested.rule
    elif case.expected["outcome"] == "approved":  # approved without a manager: the threshold it was under
        decided = trail.business_record[-1]
        assert decided.event == "decision" and "below the $100,000" in decided.rule


@pytest.mark.parametrize("case", [*training_cases(), None], ids=lambda case: case.case if case else "hr-review")
def test_every_training_case_exports_one_trail_that_agrees_on_every_variant(served, case):
    case = case or review_band_case()
    runtime, state = served
    exports, asked_hr = {}, set()
    for variant in VARIANTS:
        result = run_training_case(runtime, case, variant, measure=False)
        assert result.as_expected, result
        exports[variant] = audit_export(SavedState(state), result.id)
        asked_hr.add(result.hr_answered)

    records = {variant: business(export) for variant, export in exports.items()}
    assert records["sfn"] == records["durable"] == records["hybrid"], records
    screened = next(entry for entry in exports["hybrid"].business_record if entry.event == "screened")
    assert "domain/training/rules.py" in screened.rule
    assert (
        f"by {LOCAL_MODEL_ID}:" in screened.what
    )  # the model that scored offline, not a Bedrock model it never called
    assert len(asked_hr) == 1  # HR was asked on every variant or on none
    if asked_hr == {True}:
        decision = next(entry for entry in exports["hybrid"].business_record if entry.event == "hr-decision")
        assert decision.by == case.hr["reviewer"] and case.hr["comment"] in decision.what
        assert "HR decides" in screened.rule
    for export in exports.values():
        assert_renderings_agree(export, every_rendering(export, state))
