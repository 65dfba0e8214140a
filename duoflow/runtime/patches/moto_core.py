"""moto's request handling (``pins.PINNED["moto"]``, 5.2.5): DynamoDB and SNS requests take turns; an action is
looked up by its name; moto's models are not kept for ever by the list moto keeps of every instance.

Fix (always installed): ``DynamoHandler.call_action`` and ``SNSResponse.call_action`` (both inherited from
``BaseResponse`` in moto/core/responses.py; uninstall removes ours). moto's DynamoDB and SNS backends are plain
dicts without locks: a query iterating a table while another thread writes to it fails with "dictionary changed
size during iteration". AWS serves them concurrently; here their requests take turns on one lock (neither calls
back into Lambda, so one lock cannot deadlock). duoflow/runtime/keep_moto_data.py commits its after-images around
this lock.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``method_names_from_class`` in moto/core/responses.py. Every
request to moto lists the response class's methods (``inspect.getmembers``) to check that the action is one of
them; here the check looks up that one name.

Speed-up (memory; left out with ``DUOFLOW_SPEEDUPS=0``): ``BaseModel.__new__`` in moto/core/common_models.py. moto
appends every instance of every model class to a list on its class (``instances_tracked``), for its server's
dashboard (``/moto-api/data.json``, which the runtime does not serve) and for S3's reset, which closes the buffers
of every object and upload ever made. Nothing ever empties those lists while the runtime runs, so every model stays
in memory for good, including the ones nothing else holds: each item a Query or a Scan copies for its answer (a
status read through the API kept ~12 KiB for ever; a burst of applications ~12 KiB each), each stream record's
images. Here only S3's objects and uploads are recorded, the two lists moto reads (a test reads moto's source for
every reader of the lists). Written up for moto in docs/upstream/moto-instances-tracked.md.

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
_INSTANCE_TRACKING = Target("moto.core.common_models", "BaseModel.__new__")
FIXES = _TAKING_TURNS
SPEEDUPS = (_ACTION_LOOKUP, _INSTANCE_TRACKING)

# The model classes whose instances moto reads back from ``instances_tracked`` (S3Backend.reset closes their buffers)
STILL_TRACKED = frozenset({("moto.s3.models", "FakeKey"), ("moto.s3.models", "FakeMultipart")})

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
        _patcher.replace(_INSTANCE_TRACKING, _recording_only_what_moto_reads(_INSTANCE_TRACKING.owner()))
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


def _recording_only_what_moto_reads(base_model: type) -> Any:
    """moto's ``BaseModel.__new__``, recording the instance only where moto reads it back."""

    def new_model(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance = super(base_model, cls).__new__(cls)
        if (cls.__module__, cls.__name__) in STILL_TRACKED:
            cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
        return instance

    return new_model
