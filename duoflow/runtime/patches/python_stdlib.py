"""Python's standard library (CPython 3.11+; not a pinned distribution): one environment per function.

Fixes (always installed; AWS gives each function its own environment variables, one process cannot):

* ``os._Environ.__getitem__``, ``__setitem__``, ``__delitem__``, ``__iter__``, ``__len__``, ``__repr__``: on the
  process's ``os.environ`` object, while a function's handler runs (``function_environment.RUNNING``), reads see
  that function's variables over the process environment and writes and deletes change that function's variables
  only. Every other ``MutableMapping`` method (``get``, ``in``, ``pop``, ``setdefault``, ``copy``, ``items``,
  ``update``, ``|``) and ``os.getenv`` go through these six, and ``from os import environ`` names the same object,
  so all of them agree. Hooked on the class rather than by replacing ``os.environ``: no reference to the object
  can miss it. ``os.environb``, another instance, is left as it is.
* ``threading.Thread.start``: a thread started while a function runs runs as that function (Python 3.11's new
  threads start with an empty context).
* ``concurrent.futures.ThreadPoolExecutor.submit``: a task runs as the function that submitted it, or as none
  (a worker thread may have been started by another function). The durable SDK runs each handler and each
  ``parallel``/``map`` branch on pools of its own that copy no context (aws-durable-execution-sdk-python 3.0.0,
  ``execution.py`` and ``concurrency/executor.py``, without plugins); ``asyncio``'s ``run_in_executor`` uses it too.

Only the overlay is carried, not the rest of the submitter's context, so libraries that expect fresh worker
contexts (the durable SDK says it does) keep them. Outside handlers every hook passes straight through.
Uninstalled, each class has its own methods back (``tests/runtime/test_patches.py``).

Guarded by tests/runtime/test_function_environment.py (which also checks the hooked methods are still each
class's own, so a Python upgrade that moves them fails there).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from duoflow.runtime.function_environment import DELETED, RUNNING
from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES: tuple[str, ...] = ()  # the standard library: the interpreter is not pinned (see the docstring)
STANDARD_LIBRARY = True

_ENVIRON = ("__getitem__", "__setitem__", "__delitem__", "__iter__", "__len__", "__repr__")
_ENVIRON_TARGETS = {name: Target("os", f"_Environ.{name}") for name in _ENVIRON}
_THREAD_START = Target("threading", "Thread.start")
_POOL_SUBMIT = Target("concurrent.futures.thread", "ThreadPoolExecutor.submit")
FIXES = (*_ENVIRON_TARGETS.values(), _THREAD_START, _POOL_SUBMIT)
SPEEDUPS: tuple[Target, ...] = ()

_patcher = Patcher(FIXES, SPEEDUPS)


def install() -> None:
    if _patcher.installed:
        return
    _originals["process"] = os.environ  # the one instance the hooks act on (not os.environb)
    for name, target in _ENVIRON_TARGETS.items():
        _originals[f"environ{name}"] = _patcher.replace(target, _ENVIRON_HOOKS[name])
    _originals["start"] = _patcher.replace(_THREAD_START, _thread_start)
    _originals["submit"] = _patcher.replace(_POOL_SUBMIT, _pool_submit)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()  # _originals stays: a hook a thread entered just before this still finds what it calls


_originals: dict[str, Any] = {}


# --- os.environ ---------------------------------------------------------------------------------------------------


def _overlay_of(mapping: Any) -> Any:
    """The running function's environment when ``mapping`` is the process's ``os.environ``."""
    environment = RUNNING.get()
    return environment if environment is not None and mapping is _originals.get("process") else None


def _getitem(self: Any, key: str) -> str:
    environment = _overlay_of(self)
    if environment is not None:
        value = environment.lookup(key)
        if value is DELETED:
            raise KeyError(key)
        if value is not None:
            return value
    return _originals["environ__getitem__"](self, key)


def _setitem(self: Any, key: str, value: str) -> None:
    environment = _overlay_of(self)
    if environment is None:
        return _originals["environ__setitem__"](self, key, value)
    self.encodekey(key), self.encodevalue(value)  # the same TypeError as os.environ for a non-str
    environment.set(key, value)
    return None


def _delitem(self: Any, key: str) -> None:
    environment = _overlay_of(self)
    if environment is None:
        return _originals["environ__delitem__"](self, key)
    environment.delete(key, in_process=self.encodekey(key) in self._data)
    return None


def _iter(self: Any) -> Any:
    environment = _overlay_of(self)
    if environment is None:
        return _originals["environ__iter__"](self)
    return iter(environment.keys_over(_originals["environ__iter__"](self)))


def _len(self: Any) -> int:
    environment = _overlay_of(self)
    if environment is None:
        return _originals["environ__len__"](self)
    return len(environment.keys_over(_originals["environ__iter__"](self)))


def _repr(self: Any) -> str:
    if _overlay_of(self) is None:
        return _originals["environ__repr__"](self)
    return f"environ({dict(self)!r})"


_ENVIRON_HOOKS = {
    "__getitem__": _getitem,
    "__setitem__": _setitem,
    "__delitem__": _delitem,
    "__iter__": _iter,
    "__len__": _len,
    "__repr__": _repr,
}


# --- threads ------------------------------------------------------------------------------------------------------


def _as(environment: Any, function: Callable) -> Callable:
    def run(*args: Any, **kwargs: Any) -> Any:
        token = RUNNING.set(environment)
        try:
            return function(*args, **kwargs)
        finally:
            RUNNING.reset(token)

    return run


def _thread_start(self: Any) -> None:
    environment = RUNNING.get()
    if environment is not None and "run" not in vars(self):
        run = self.run

        def run_as_function() -> None:
            RUNNING.set(environment)  # the new thread's own context: nothing to reset
            try:
                run()
            finally:
                vars(self).pop("run", None)

        self.run = run_as_function
    return _originals["start"](self)


def _pool_submit(self: Any, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
    return _originals["submit"](self, _as(RUNNING.get(), fn), *args, **kwargs)
