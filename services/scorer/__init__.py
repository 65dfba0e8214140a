"""The AI screening's scorer: the interface, the Amazon Bedrock adapter, the local-model adapter.

``scorer_from_environment()`` picks one from SCORER (``bedrock``, the default, or ``local``). ``bedrock`` is the
right choice on the local runtime too: the runtime answers Converse with the local model, so the same code path runs
in AWS and offline; ``local`` skips the Converse round trip (unit tests, tools).
"""

from __future__ import annotations

import os

from services.scorer.bedrock import DEFAULT_MODEL_ID, MODEL_ID_SETTING, BedrockScorer
from services.scorer.interface import Scorer, ScreeningFailed

SCORER_SETTING = "SCORER"

__all__ = [
    "DEFAULT_MODEL_ID",
    "MODEL_ID_SETTING",
    "SCORER_SETTING",
    "BedrockScorer",
    "LocalScorer",
    "Scorer",
    "ScreeningFailed",
    "scorer_from_environment",
]


def __getattr__(name: str):
    # The local model needs numpy and its weights, which the Lambda bundle does not carry: import it only when
    # asked for (tests, tools, SCORER=local), never when a Lambda imports this package.
    if name == "LocalScorer":
        from services.scorer.local import LocalScorer

        return LocalScorer
    raise AttributeError(name)


def scorer_from_environment() -> Scorer:
    kind = (os.environ.get(SCORER_SETTING) or "bedrock").strip().lower()
    if kind == "bedrock":
        return BedrockScorer.from_environment()
    if kind == "local":
        from services.scorer.local import LocalScorer

        return LocalScorer()
    raise ValueError(f"environment variable {SCORER_SETTING} must be 'bedrock' or 'local', got {kind!r}")
