"""A training request the local model puts in the HR band, for the tests of the HR review path: they run on what the
model really does, not on a bent score."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from domain.training.rules import band
from services.scorer.calibration import READINGS_FILE, labelled_pairs
from services.scorer.local_model import shared_model

PAIR_FIELDS = ("job_role", "job_description", "training_title", "training_description")


@cache
def review_band_pair() -> dict[str, Any]:
    """The first of the scorer's labelled pairs in the HR band, found in the committed readings
    (services/scorer/readings.json: tests/unit/test_local_scorer.py checks that this machine's model gives every one
    of them to the last bit) rather than by scoring the pairs one by one until one lands there (14 s of CPU in every
    test process that did). It is scored once more here, which also loads the model in this process."""
    readings = json.loads(READINGS_FILE.read_text())
    pair = next((pair for pair in labelled_pairs() if band(readings[pair["id"]]["score"][0]) == "review"), None)
    assert pair is not None, "the committed readings put none of the labelled pairs in the HR band"
    scored = shared_model().match(*(pair[key] for key in PAIR_FIELDS)).score
    assert band(scored) == "review", f"the local model scores {pair['id']} {scored}: not in the HR band as committed"
    return pair


def in_review_band(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` (a training request document) with its job and training texts taken from ``review_band_pair``."""
    pair = review_band_pair()
    return {**request, **{key: pair[key] for key in PAIR_FIELDS}}
