"""docs/policies/ is generated from the ASL files and the domain constants (`duoflow explain`); it must not go
stale, and it must say what a compliance reviewer needs: each rule in words with its value and where it is set,
each wait's time limit and what happens when it runs out."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from catalog.state_machines import STATEMACHINES_DIR, DomainConstant, spec_for_file
from domain.loan import rules
from domain.training import rules as training_rules
from duoflow.asl_review import PLACEHOLDER
from duoflow.cli import app
from duoflow.policies import POLICIES_DIR, constant_words, policy_markdown, problems, stale, write_all

ASL_FILES = sorted(STATEMACHINES_DIR.glob("*.asl.json"))
runner = CliRunner()


def test_policy_documents_are_up_to_date():
    assert stale() == [], "run `duoflow explain --all` and commit docs/policies/"


def test_there_is_one_policy_document_per_asl_file():
    assert sorted(path.name for path in POLICIES_DIR.glob("*.md")) == [
        "loan-sfn.md",
        "loan.md",
        "training-sfn.md",
        "training.md",
    ]


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda path: path.name)
def test_every_state_is_a_numbered_step_under_its_name_with_its_comment(path):
    definition = json.loads(path.read_text())
    text = policy_markdown(path)
    constants = spec_for_file(path).constants
    assert text.startswith(f"# {definition['Comment'].split('. ')[0]}\n")
    for i, (name, state) in enumerate(definition["States"].items(), start=1):
        filled = PLACEHOLDER.sub(lambda m: str(constants[m.group(1)]), name)
        assert f"### {i}. {filled} — " in text, name
        assert PLACEHOLDER.sub(lambda m: str(constants[m.group(1)]), state["Comment"]) in text, name
    assert "${" not in text.split("## The steps, in order")[1], "every value filled in the walk through the steps"


def test_the_loan_policy_states_the_manager_rule_and_what_happens_when_nobody_answers():
    text = (POLICIES_DIR / "loan.md").read_text()
    assert (
        "If loan amount ≥ $100,000 (domain/loan/rules.py MANAGER_APPROVAL_THRESHOLD) → **Request Manager Approval**"
        in text
    )
    assert (
        "Time limit: 30 minutes (domain/loan/rules.py MANAGER_APPROVAL_TIMEOUT_SECONDS). "
        "When it runs out → **Deny: No Manager Decision** (step 9)"
    ) in text
    assert "| 6. Request Manager Approval | 30 minutes" in text
    assert "When it fails with `ApplicationInvalid` → **Application Rejected as Invalid**" in text


def test_the_sfn_loan_policy_states_the_fraud_check_wait_and_the_parallel_bureaus():
    text = (POLICIES_DIR / "loan-sfn.md").read_text()
    assert "Time limit: 5 minutes (domain/loan/rules.py FRAUD_CHECK_TIMEOUT_SECONDS)" in text
    assert "#### 2.1.1. Pull Equifax Report — a step (Lambda loan-credit-report)" in text
    assert "#### 2.1.2. Equifax Report Unavailable — fails this branch" in text


def test_the_training_policy_states_the_score_bands_and_the_hr_timeout():
    text = (POLICIES_DIR / "training.md").read_text()
    assert "If screening score ≥ 76 (domain/training/rules.py APPROVE_MIN_SCORE) → **Enroll Employee**" in text
    assert "If screening score ≥ 50 (domain/training/rules.py REVIEW_MIN_SCORE) → **Request HR Review**" in text
    assert "### 3. Score Above 75? — a decision" in text
    assert "Time limit: 72 hours (domain/training/rules.py HR_REVIEW_TIMEOUT_SECONDS)" in text
    assert "When it runs out → **No HR Decision in Time**" in text
    assert "| 75 | `${ApproveAboveScore}` | `domain/training/rules.py` `APPROVE_MIN_SCORE - 1` |" in text


def test_values_are_written_as_people_read_them():
    assert constant_words(DomainConstant(100_000, "r.py", "X", "dollars")) == "$100,000"
    assert constant_words(DomainConstant(30 * 60, "r.py", "X", "seconds")) == "30 minutes"
    assert constant_words(DomainConstant(72 * 3600, "r.py", "X", "seconds")) == "72 hours"
    assert constant_words(DomainConstant(3600, "r.py", "X", "seconds")) == "1 hour"
    assert constant_words(DomainConstant(90, "r.py", "X", "seconds")) == "90 seconds"
    assert constant_words(DomainConstant(76, "r.py", "X", "points")) == "76"
    assert constant_words(DomainConstant("no HR decision", "r.py", "X")) == "“no HR decision”"


def test_the_documents_follow_the_domain_constants():
    # Values are read from the domain module when the catalog is imported, so what the document shows is the rule.
    assert f"{rules.MANAGER_APPROVAL_TIMEOUT_SECONDS // 60} minutes" in (POLICIES_DIR / "loan.md").read_text()
    assert f"{training_rules.HR_REVIEW_TIMEOUT_SECONDS // 3600} hours" in (POLICIES_DIR / "training.md").read_text()


def test_stale_names_missing_changed_and_orphaned_documents(tmp_path):
    write_all(tmp_path)
    assert stale(tmp_path) == []
    (tmp_path / "loan.md").write_text("edited by hand\n")
    (tmp_path / "training.md").unlink()
    (tmp_path / "old.md").write_text("")
    assert stale(tmp_path) == ["loan.md (out of date)", "training.md (missing)", "old.md (no ASL file any more)"]


def test_explain_writes_the_document_to_out(tmp_path):
    target = tmp_path / "loan.md"
    result = runner.invoke(app, ["explain", str(STATEMACHINES_DIR / "loan.asl.json"), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text() == (POLICIES_DIR / "loan.md").read_text()


def test_explain_prints_the_document_without_out():
    result = runner.invoke(app, ["explain", str(STATEMACHINES_DIR / "training-sfn.asl.json")])
    assert result.exit_code == 0
    assert result.stdout == (POLICIES_DIR / "training-sfn.md").read_text()


def test_explain_check_passes_on_the_repository_and_fails_naming_a_broken_file(tmp_path):
    assert problems() == []
    assert runner.invoke(app, ["explain", "--check"]).exit_code == 0

    definition = json.loads((STATEMACHINES_DIR / "loan.asl.json").read_text())
    del definition["States"]["Notify Applicant"]["Comment"]
    broken = tmp_path / "loan.asl.json"
    broken.write_text(json.dumps(definition))
    result = runner.invoke(app, ["explain", "--check", str(broken)])
    assert result.exit_code == 1
    assert "loan.asl.json: Notify Applicant: no Comment" in result.output


def test_explain_without_a_file_or_with_a_missing_one_is_refused(tmp_path):
    assert runner.invoke(app, ["explain"]).exit_code == 2
    assert runner.invoke(app, ["explain", str(tmp_path / "nope.asl.json")]).exit_code == 2
