"""Every demo case ends the same on sfn, durable and hybrid, as its scenario file says."""

import pytest

from duoflow.scenarios import loan_cases
from tests.integration.parity import TIME_CONTROL, decide_on_every_variant  # noqa: F401 - the runtime fixture reads TIME_CONTROL


@pytest.mark.parametrize("case", loan_cases(), ids=lambda case: case.case)
def test_every_demo_case_ends_the_same_on_every_variant(runtime, case):
    decided = decide_on_every_variant(runtime, case)
    assert decided["sfn"] == decided["durable"] == decided["hybrid"]
    assert decided["hybrid"][:2] == (case.expected["outcome"], case.expected["reason"])
