"""The variants are named once (services/common/variants.py); what each runs per scenario (duoflow/variants.py)
and the CLI's --variant choices follow those names."""

from __future__ import annotations

from duoflow.cli import Variant
from duoflow.variants import LOAN_VARIANTS, TRAINING_VARIANTS
from services.common.variants import DEFAULT_VARIANT, VARIANTS


def test_every_scenario_runs_every_variant_and_the_cli_offers_them():
    assert set(LOAN_VARIANTS) == set(TRAINING_VARIANTS) == set(VARIANTS)
    assert DEFAULT_VARIANT in VARIANTS
    assert [choice.value for choice in Variant] == [*LOAN_VARIANTS, "all"]
