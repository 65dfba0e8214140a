"""Each valid state machine definition parsed once: kept for the process, and on disk for the processes after it.

moto parses a definition with its ANTLR grammar, in pure Python: 0.14-0.41 s of CPU for each of this project's four
definitions, about 1.1 s of a server's 3.9 s start on the 2-core development machine (2026-12-05), paid again at
every restart. A parsed program is a tree of plain objects holding no per-execution value (an execution's state
lives in its Environment), so one parse serves every execution of its definition in the process
(``moto_stepfunctions``' speed-up ``_install_parsed_once``), and a pickled copy serves the next process: a file per
definition in ``$XDG_CACHE_HOME/duoflow/asl-programs/`` (``~/.cache/...``), loaded in 2-4 ms. Its name is a hash of
the definition's text, moto's version, the Python that pickled it and the source of the runtime's patches, so a
change to any of them finds no file and parses anew.

The directory keeps the ``MAX_KEPT`` programs used last (a load marks its file used; tests make definitions of their
own by the hundred). A file that does not load is parsed again and replaced; where the directory cannot be written,
programs are kept in memory only. A definition that does not parse is never kept: moto's parse refuses it each time.
tests/runtime/test_speedups.py checks that a program loaded from its file is, object for object, the one the parse
makes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
import threading
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT = "1"  # bump when what is pickled changes shape
MAX_KEPT = 256  # files; past this, a store removes the least recently used down to three quarters of it


def default_directory() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "duoflow" / "asl-programs"


@cache
def _code_digest() -> str:
    """What makes and reads a pickled program, read once a process: the format, moto's version, the Python, and
    the source of every patch module (a patch may change what a parse makes)."""
    digest = hashlib.sha256("\0".join((FORMAT, version("moto"), sys.implementation.cache_tag)).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(b"\0" + source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def file_name(definition: str) -> str:
    return hashlib.sha256(f"{_code_digest()}\0{definition}".encode()).hexdigest()[:32] + ".pickle"


def parse(definition: str) -> Any:
    """moto's parse: raises ``ASLParserException`` (or a plain exception from its preprocessor) when invalid."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    return AmazonStateLanguageParser.parse(definition)[0]


class ParsedPrograms:
    """The programs of the definitions parsed so far, by their text."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory  # None: default_directory(), read when first needed
        self._programs: dict[str, Any] = {}
        self._lock = threading.Lock()  # a definition is parsed once; whoever asks meanwhile waits for it

    def program(self, definition: str) -> Any:
        """``definition``'s program: from memory, else from its file, else parsed (and kept in both)."""
        with self._lock:
            program = self._programs.get(definition)
            if program is None:
                path = self._path(definition)
                program = _load(path) if path else None
                if program is None:
                    program = parse(definition)
                    if path:
                        _store(path, program)
                self._programs[definition] = program
            return program

    def _path(self, definition: str) -> Path | None:
        try:
            return (self._directory or default_directory()) / file_name(definition)
        except (RuntimeError, OSError) as error:  # no home directory to find, a patch file unreadable
            logger.debug("parsed programs kept in memory only: %s", error)
            return None


def _load(path: Path) -> Any | None:
    try:
        data = path.read_bytes()
        os.utime(path)  # used now: the last to go when the directory is pruned
    except OSError:
        return None
    try:
        return pickle.loads(data)  # noqa: S301 - the user's own cache directory, written only by _store
    except Exception as error:  # noqa: BLE001 - a torn or foreign file: parse again and replace it
        logger.debug("parsed program %s does not load (%s): parsing the definition again", path, error)
        return None


def _store(path: Path, program: Any) -> None:
    try:
        data = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".partial-", delete=False) as partial:
            try:
                partial.write(data)
                partial.close()
                os.replace(partial.name, path)  # atomic: a process starting meanwhile reads the whole file or none
            except BaseException:
                Path(partial.name).unlink(missing_ok=True)  # a full disk leaves no partial file behind
                raise
        _prune(path.parent)
    except Exception as error:  # noqa: BLE001 - the cache is an optimisation: keep the program in memory only
        logger.debug("parsed program not kept in %s: %s", path.parent, error)


def _prune(directory: Path) -> None:
    kept = list(directory.glob("*.pickle"))
    if len(kept) <= MAX_KEPT:
        return
    by_last_use = sorted(kept, key=lambda path: path.stat().st_mtime_ns)
    for path in by_last_use[: len(kept) - MAX_KEPT * 3 // 4]:
        path.unlink(missing_ok=True)  # a process loading it meanwhile parses the definition instead
