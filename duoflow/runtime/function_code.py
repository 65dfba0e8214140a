"""Each function's own code folders: what ``import`` finds while a function runs, as Lambda's ``/var/task``.

A function deployed from a template (``duoflow up``) has its code in a folder of its own (SAM's ``CodeUri``, a CDK
asset) and, when it declares a requirements.txt, the packages installed for it in another
(duoflow/templates/requirements.py). ``FunctionSpec.code_paths`` names them. In AWS they are the function's
import path; here every function shares one process and one ``sys.path``, so instead:

* :class:`FunctionCodeFinder`, first on ``sys.meta_path`` while the runtime runs, looks a top-level module up in the
  running function's folders (``function_environment.current().code_paths``) before anywhere else; outside a
  function, or for a module its folders do not have, it steps aside. Submodules follow their package as usual.
* :func:`load_handler` imports a handler whose module is a single file (``app.lambda_handler``) under a name of its
  own (``_duoflow_function_<name>__app``): three functions whose handlers are all ``app.py`` in different folders
  each get their own module. A handler in a package (``services.api.handler.handler``) is imported by its name.

What one process cannot keep apart (duoflow/runtime/README.md, "Code from a template"): a module is imported once
per process, so a module already imported (boto3, the durable SDK the runtime itself uses) is the one every
function gets, whatever its requirements install; and two functions whose *other* modules share a name (two
``utils.py``) share the first one imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from duoflow.runtime.function_environment import current


class FunctionCodeFinder(importlib.abc.MetaPathFinder):
    """Top-level modules from the running function's code folders first."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        if path is not None:
            return None  # a submodule: its package's __path__ decides
        environment = current()
        folders = getattr(environment, "code_paths", ()) if environment is not None else ()
        if not folders:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, list(folders))


_FINDER = FunctionCodeFinder()


def install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


class HandlerLoadError(ImportError):
    """A function's handler could not be loaded (its cold start failed): the message names the function and what
    its code raised, with the file and line."""


def load_handler(function_name: str, handler: str, code_paths: Sequence[str]) -> Callable:
    try:
        return _load_handler(function_name, handler, code_paths)
    except HandlerLoadError:
        raise
    except Exception as error:  # the function's own code failed at import: say whose, where and what
        frames = traceback.extract_tb(error.__traceback__)
        own = [frame for frame in frames if any(frame.filename.startswith(str(path)) for path in code_paths)]
        place = f" ({own[-1].filename}, line {own[-1].lineno})" if own else ""
        raise HandlerLoadError(
            f"function {function_name}: loading its handler {handler} failed{place}: {type(error).__name__}: {error}"
        ) from error


def _load_handler(function_name: str, handler: str, code_paths: Sequence[str]) -> Callable:
    """The handler ``module.function`` (or ``package.module.function``) of ``function_name`` from its folders; call it
    as the function (``running_as``), so what the module imports at load comes from the same folders."""
    module_name, _, attribute = handler.rpartition(".")
    if not module_name or not attribute:
        raise HandlerLoadError(f"function {function_name}: handler {handler!r} is not module.function")
    if "." in module_name:
        module = importlib.import_module(module_name)
    else:
        spec = importlib.machinery.PathFinder.find_spec(module_name, list(code_paths))
        if spec is None or spec.loader is None:
            raise HandlerLoadError(f"function {function_name}: no module {module_name!r} in {', '.join(code_paths)}")
        safe_name = re.sub(r"\W", "_", function_name)
        unique = f"_duoflow_function_{safe_name}__{module_name}"
        # A cold start: the module is executed again each time a runtime loads the function (another runtime in
        # this process may have loaded another function of the same name from another folder).
        spec = importlib.util.spec_from_file_location(
            unique, spec.origin, submodule_search_locations=spec.submodule_search_locations
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(unique, None)
            raise
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise HandlerLoadError(f"function {function_name}: module {module_name!r} has no {attribute!r}") from None
