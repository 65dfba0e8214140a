"""The Lambda code asset, built without Docker: the project's sources plus the pinned runtime dependencies.

One asset serves every function (each has its own handler path). The dependencies are the distributions the
Lambda code imports (``LAMBDA_DISTRIBUTIONS``) and everything they need, at the versions ``uv.lock`` pins,
installed with pip's platform options: manylinux2014 wheels for the chosen architecture and CPython 3.13,
binary only, so nothing is compiled on this machine and nothing runs in a container.

Both parts are cached under ``.cache/infra/`` by content: the dependencies by their pins and platform (pip runs
once), the asset by its sources too (an unchanged tree reuses the same directory and the same asset hash).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "infra"

# What the code in SOURCE_PACKAGES imports; tests/infra checks this list against their imports.
LAMBDA_DISTRIBUTIONS = (
    "aws-durable-execution-sdk-python",
    "aws-lambda-powertools",
    "aws-xray-sdk",  # Powertools Tracer (services/common/tracing.py)
    "boto3",
    "botocore",
    "pydantic",
)
SOURCE_PACKAGES = ("domain", "durable", "services")
PYTHON_VERSION = "3.13"
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


class BundlingError(RuntimeError):
    pass


def pinned_requirements(lock_file: Path = ROOT / "uv.lock") -> list[str]:
    """``name==version`` for LAMBDA_DISTRIBUTIONS and their dependencies, as uv.lock resolves them."""
    packages = {package["name"]: package for package in tomllib.loads(lock_file.read_text())["package"]}
    pins: dict[str, str] = {}
    pending = list(LAMBDA_DISTRIBUTIONS)
    while pending:
        name = pending.pop()
        if name in pins:
            continue
        if name not in packages:
            raise BundlingError(f"{name} is not in {lock_file.name}; add it to pyproject.toml and run `uv lock`")
        pins[name] = packages[name]["version"]
        pending.extend(dependency["name"] for dependency in packages[name].get("dependencies", []))
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def lambda_asset(architecture: str, with_dependencies: bool = True) -> Path:
    """A directory holding the code every function runs; the same inputs give the same directory."""
    if architecture not in PLATFORMS:
        raise BundlingError(f"architecture {architecture!r}: must be one of {', '.join(PLATFORMS)}")
    sources = _source_files()
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    dependencies = _dependencies(architecture) if with_dependencies else None
    digest.update(str(dependencies).encode())
    kind = f"{architecture}-py{PYTHON_VERSION.replace('.', '')}" if with_dependencies else "sources-only"
    target = CACHE / "assets" / f"{kind}-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    (CACHE / "assets").mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE / "assets"))
    if dependencies is not None:
        shutil.copytree(dependencies, building, dirs_exist_ok=True, copy_function=_link_or_copy)
    for path in sources:
        destination = building / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    try:
        building.rename(target)
    except OSError:  # another synth built the same asset meanwhile: same content, keep theirs
        shutil.rmtree(building, ignore_errors=True)
    return target


def _source_files() -> list[Path]:
    files = []
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files.append(path)
    return files


def _dependencies(architecture: str) -> Path:
    requirements = pinned_requirements()
    key = hashlib.sha256("\n".join([architecture, PYTHON_VERSION, *requirements]).encode()).hexdigest()[:16]
    target = CACHE / "deps" / f"{architecture}-py{PYTHON_VERSION.replace('.', '')}-{key}"
    if target.is_dir():
        return target
    (CACHE / "deps").mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE / "deps"))
    requirements_file = building / "requirements.txt"
    requirements_file.write_text("\n".join(requirements) + "\n")
    command = [
        *_pip(),
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",  # the list is already the whole closure, pinned by uv.lock
        "--no-compile",  # bytecode for this interpreter would be useless to Lambda's 3.13
        "--only-binary=:all:",
        "--platform",
        PLATFORMS[architecture],
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--target",
        str(building / "site"),
        "--requirement",
        str(requirements_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise BundlingError(
            f"pip could not fetch the Lambda dependencies for {architecture} / CPython {PYTHON_VERSION}:\n"
            f"{result.stderr.strip() or result.stdout.strip()}\n"
            "Synthesize without them with: cdk synth -c bundle_dependencies=false"
        )
    try:
        (building / "site").rename(target)
    except OSError:
        pass  # built concurrently by another synth
    shutil.rmtree(building, ignore_errors=True)
    return target


def _pip() -> list[str]:
    """pip, wherever `make setup` left one: the venv's own (uv venvs have none), then the one next to uv."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for candidate in (ROOT / ".cache" / "uv" / "bin" / "pip", shutil.which("pip3"), shutil.which("pip")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    raise BundlingError(
        "bundling the Lambda dependencies needs pip: run `make setup` (it leaves one in .cache/uv/bin), "
        "or synthesize without them with: cdk synth -c bundle_dependencies=false"
    )


def _link_or_copy(source: str, destination: str) -> str:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
    return destination
