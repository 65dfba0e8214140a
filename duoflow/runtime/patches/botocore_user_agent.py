"""botocore's User-Agent header (``pins.PINNED["botocore"]``, 1.44.5): one speed-up, no fix.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``UserAgentString.to_string`` (botocore/useragent.py). botocore
builds its User-Agent header twice per request from the same parts (SDK, platform, config, the features the call
used: ``botocore.context.get_context().features`` and the client's own); here each client's header is built once
per set of features and reused. It hooks every botocore client in the process while a runtime runs (a handler's,
a test's); uninstalled, botocore builds the header again each time.

Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("botocore",)

_TO_STRING = Target("botocore.useragent", "UserAgentString.to_string")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (_TO_STRING,)

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _install_memo()
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


def _install_memo() -> None:
    from botocore.context import get_context
    from botocore.useragent import UserAgentString

    build = UserAgentString.to_string
    built: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], str]] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def to_string(self: UserAgentString) -> str:
        context = get_context()
        features = (
            frozenset(context.features) if context is not None else None,
            frozenset(self._client_features or ()),
        )
        with lock:
            known = built.setdefault(self, {})
            if features not in known:
                known[features] = build(self)
            return known[features]

    _patcher.replace(_TO_STRING, to_string)
