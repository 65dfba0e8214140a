"""The JSONata evaluator moto lacks, under its former name: it lives in duoflow/runtime/patches/moto_jsonata.py.

Kept for ``duoflow/bench/bare_engines.py``, which installs the JSONata fixes alone on stock moto (``install()``: the fixes,
no speed-up); new code imports ``duoflow.runtime.patches.moto_jsonata``.
"""

from duoflow.runtime.patches.moto_jsonata import evaluate, install, plain_json, uninstall

__all__ = ["evaluate", "install", "plain_json", "uninstall"]
