"""moto's Lambda (``pins.PINNED["moto"]``, 5.2.5): every invoke reaches the runtime's handlers; the durable APIs are
served on the Lambda endpoint.

Fixes (always installed; the runtime plugs its own parts in here):

* ``LambdaSimpleBackend.invoke`` (moto/awslambda_simple/models.py, the backend moto uses with ``use_docker:
  False``): moto routes every ``lambda.invoke`` — from a test, a Step Functions Task, another handler — to this
  one method; the runtime points it at ``LambdaHost.invoke_from_moto`` (duoflow/runtime/lambda_host.py).
* an entry in ``moto.awslambda.urls.url_paths``: ``/2025-12-01/...`` (the durable-execution APIs), answered by
  duoflow/runtime/durable_api.py.

Uninstalled, moto's own ``invoke`` and URL map are back. Guarded by tests/runtime/test_time_control.py
(``test_moto_lambda_invoke_hook_is_in_place``) and test_lifecycle.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duoflow.runtime.durable_api import API_VERSION, moto_route
from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

DURABLE_PATH = r"{0}/" + API_VERSION + r"/.*$"
_INVOKE = Target("moto.awslambda_simple.models", "LambdaSimpleBackend.invoke")
_URL_PATHS = Target("moto.awslambda.urls", "url_paths[]")
FIXES = (_INVOKE, _URL_PATHS)
SPEEDUPS: tuple[Target, ...] = ()

_patcher = Patcher(FIXES, SPEEDUPS)

# (function name, qualifier, body, headers, response headers) -> the payload, as moto's invoke answers
Invoke = Callable[[str, Any, Any, Any, Any], Any]


def install(handler: Invoke, durable_api: Callable[[], Any]) -> None:
    """``handler`` answers every Lambda invoke; ``durable_api()`` gives the DurableApi that answers the durable APIs."""
    if _patcher.installed:
        return

    def invoke(backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> Any:
        return handler(function_name, qualifier, body, headers, response_headers)

    _patcher.replace(_INVOKE, invoke)
    _patcher.add_entry(_URL_PATHS, DURABLE_PATH, moto_route(durable_api))
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()
