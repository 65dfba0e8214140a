"""moto's request handling (``pins.PINNED["moto"]``, 5.2.5): DynamoDB and SNS requests take turns; an action is
looked up by its name.

Fix (always installed): ``DynamoHandler.call_action`` and ``SNSResponse.call_action`` (both inherited from
``BaseResponse`` in moto/core/responses.py; uninstall removes ours). moto's DynamoDB and SNS backends are plain
dicts without locks: a query iterating a table while another thread writes to it fails with "dictionary changed
size during iteration". AWS serves them concurrently; here their requests take turns on one lock (neither calls
back into Lambda, so one lock cannot deadlock). duoflow/runtime/keep_moto_data.py commits its after-images around
this lock.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``method_names_from_class`` in moto/core/responses.py. Every
request to moto lists the response class's methods (``inspect.getmembers``) to check that the action is one of
them; here the check looks up that one name.

Guarded by tests/runtime/test_keep_moto_data.py and test_speedups.py.
"""

from __future__ import annotations

import threading
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

_TAKING_TURNS = (
    Target("moto.dynamodb.responses", "DynamoHandler.call_action"),
    Target("moto.sns.responses", "SNSResponse.call_action"),
)
_ACTION_LOOKUP = Target("moto.core.responses", "method_names_from_class")
FIXES = _TAKING_TURNS
SPEEDUPS = (_ACTION_LOOKUP,)

_patcher = Patcher(FIXES, SPEEDUPS)


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    lock = threading.RLock()
    for target in _TAKING_TURNS:
        unlocked = getattr(target.owner(), target.name)

        def call_action(self: Any, _unlocked: Any = unlocked) -> Any:
            with lock:
                return _unlocked(self)

        _patcher.replace(target, call_action)
    if speedups:
        _patcher.replace(_ACTION_LOOKUP, _FunctionNames)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


class _FunctionNames:
    """What moto's ``method_names_from_class`` answers, for the one question moto asks of it: is ``name`` a
    function of the class (its own or inherited)?"""

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        import inspect

        return isinstance(name, str) and inspect.isfunction(getattr(self._cls, name, None))
