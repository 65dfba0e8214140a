"""The kill-at-every-step tier, part 4 of 4 (tests/reliability/kill_tier.py: what is checked, and every part's plans)."""

import pytest

from tests.reliability.kill_tier import MARKS, PARTS, Plan, try_every_kill_point

PART = 4
pytestmark = MARKS


@pytest.mark.parametrize("plan", PARTS[PART], ids=str)
def test_a_run_killed_at_any_step_ends_as_an_uninterrupted_one(tmp_path, plan: Plan) -> None:
    try_every_kill_point(tmp_path, plan)
