"""A function's requirements.txt, installed the way `sam build` installs it: ``pip install -r`` into a folder of
the function's own, here a cache folder named after the file's content (and the Python it is for), so an unchanged
file is installed once and then reused offline, and two functions with the same file share one folder.

The installer is uv when there is one (``.cache/uv/bin/uv``, which ``make`` installs beside the project's ``.venv``,
or ``uv`` on the PATH: ``uv pip install --target``), else this Python's pip (``python -m pip install --target``). It runs in the
requirements file's folder, as `sam build` does, so relative paths in the file mean what they mean there. A folder
is complete only once the install succeeded (it is filled under another name and renamed), so an interrupted
install is never taken for a finished one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from duoflow.templates.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
CACHE_ENVIRONMENT_VARIABLE = "DUOFLOW_REQUIREMENTS_CACHE"
COMPLETE = ".duoflow-installed"


def default_cache() -> Path:
    """``$DUOFLOW_REQUIREMENTS_CACHE``, else ``$XDG_CACHE_HOME/duoflow/requirements`` (``~/.cache/...``)."""
    if os.environ.get(CACHE_ENVIRONMENT_VARIABLE):
        return Path(os.environ[CACHE_ENVIRONMENT_VARIABLE]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "duoflow" / "requirements"


def cache_key(requirements: Path) -> str:
    """The file's content and the Python the packages are installed for."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"\0{sys.implementation.cache_tag}\0{sys.platform}".encode())
    return digest.hexdigest()[:32]


def installer_command(requirements: Path, target: Path) -> list[str]:
    # the uv `make` installs beside the project's .venv (this checkout's, or the one whose .venv runs this), else PATH's
    places = [ROOT / ".cache" / "uv" / "bin" / "uv", Path(sys.prefix).parent / ".cache" / "uv" / "bin" / "uv"]
    found = next((str(place) for place in places if place.is_file()), None) or shutil.which("uv")
    if found:
        return [
            found,
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            str(target),
            "-r",
            str(requirements),
        ]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]


def installed_requirements(requirements: Path, cache: Path, where: str, note=None) -> Path:
    """The folder holding what ``requirements`` names, installed now if this content was never installed."""
    folder = cache / cache_key(requirements)
    if (folder / COMPLETE).exists():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    if note is not None:
        note(f"installing {requirements} (once; cached in {folder})")
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache))
    try:
        command = installer_command(requirements.resolve(), staging)
        result = subprocess.run(command, cwd=requirements.parent, capture_output=True, text=True)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            raise TemplateError(
                where, f"installing {requirements} failed ({Path(command[0]).name}): " + " / ".join(lines[-3:])
            )
        (staging / COMPLETE).write_text(requirements.read_text())
        try:
            staging.rename(folder)
        except OSError:
            if not (folder / COMPLETE).exists():  # not another process that finished first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
