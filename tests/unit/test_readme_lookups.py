"""The README's "Where each rule, human step and callback lives" table names files and the names in them: each
file must exist, and each name in parentheses after a file must be defined in it — so the table cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "### Where each rule, human step and callback lives"


def table_rows() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :].split("\n\n")[1]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| you are")]


def test_every_file_in_the_lookup_table_exists_and_defines_the_names_it_is_quoted_for():
    rows = table_rows()
    assert len(rows) >= 10
    for row in rows:
        answer = row.split(" | ", 1)[1]
        for path, names in re.findall(r"`([\w./-]+\.(?:py|json))`(?: \(([^)]*)\))?", answer):
            file = ROOT / "statemachines" / path if "/" not in path else ROOT / path
            assert file.exists(), f"{path} (README lookup table) does not exist"
            for name in re.findall(r"`(\w+)`", names):
                assert re.search(rf"\b(def|class) {name}\b|^{name} =", file.read_text(), re.MULTILINE), (
                    f"{name} is not defined in {path}"
                )
        for state in re.findall(r'the ASL state "([^"]+)"', answer):
            for path in re.findall(r"`([\w./-]+\.asl\.json)`", answer):
                file = ROOT / "statemachines" / Path(path).name
                assert f'"{state}"' in file.read_text(), f"no state {state!r} in {path}"
