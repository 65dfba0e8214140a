"""The local scorer's second model: WordLlama's static token embeddings, read straight from the package's own files.

Model: ``wordllama`` 0.4.0.post1 (PyPI, MIT licence), its default ``l2_supercat`` model: a 32,000 × 256 table of
float16 token vectors (16 MB, inside the wheel) with its tokenizer file (also inside the wheel). The table was trained
from the token-embedding codebooks of LLaMA 2 70B and Phi-3 medium (the package's README); the package ships it under
MIT. A text's vector is the mean of its tokens' vectors, normalized: no network, no attention, no matrix product.

Why not ``wordllama.WordLlama.load()``: it looks for the tokenizer file in a cache directory and downloads it from
Hugging Face when it is missing, although the same file is inside the wheel; here both files are opened where the
package installed them, so nothing is ever fetched.

The same bits on every CPU: a float16 value is a multiple of 2⁻²⁴ below 2¹⁶, so the float64 sum of fewer than 2¹³ of
them is exact whatever the order of the additions (every partial sum is representable), and what remains is one
correctly rounded division, square root and product per element (IEEE operations, the same on every x86-64 CPU).
The similarities are exactly rounded sums (``services.scorer.local_model._similarities``).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

PINNED_VERSION = "0.4.0.post1"
MODEL_NAME = f"wordllama {PINNED_VERSION} (l2_supercat, 256 dimensions)"
_MAX_TOKENS = 4096  # far above any request (the prompt caps the texts); keeps the exact-sum argument above true


def package_dir() -> Path:
    """Where pip or uv installed ``wordllama`` (found without importing it: its ``__init__`` pulls in pydantic,
    requests and a downloader this scorer does not use)."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the local scorer needs the wordllama package (uv sync installs it)")
    return Path(next(iter(spec.submodule_search_locations)))


class WordModel:
    def __init__(self) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = package_dir()
        self._tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._table = load_file(str(root / "weights" / "l2_supercat_256.safetensors"))["embedding.weight"]
        if self._table.dtype != np.float16:
            raise TypeError(f"expected a float16 token table, got {self._table.dtype}")

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float64 vector per text."""
        return np.array([self._embed(text) for text in texts])

    def _embed(self, text: str) -> np.ndarray:
        ids = self._tokenizer.encode(text, add_special_tokens=False).ids[:_MAX_TOKENS]
        if not ids:
            return np.zeros(self._table.shape[1])
        total = self._table[ids].astype(np.float64).sum(axis=0)  # exact: see the module's docstring
        mean = total / len(ids)
        norm = math.sqrt(math.fsum((mean * mean).tolist()))
        return mean / norm if norm > 0 else mean
