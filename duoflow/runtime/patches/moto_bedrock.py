"""moto's bedrock-runtime (``pins.PINNED["moto"]``, 5.2.5): a route for Converse.

Fix (always installed; the runtime plugs its own part in): an entry in ``moto.bedrockruntime.urls.url_paths``,
``POST /model/{modelId}/converse``, put *first*: moto knows the bedrock-runtime endpoint but not Converse, and its
catch-all ``{0}/.*$`` would otherwise answer it ("not implemented"). The route is
``duoflow.runtime.bedrock_local.converse_route`` (what it answers, and with which model, is that module's).
Uninstalled, the entry is gone and moto's routes keep their order.

Guarded by tests/runtime/test_bedrock_converse.py.
"""

from __future__ import annotations

from duoflow.runtime import bedrock_local
from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto",)

_URL_PATHS = Target("moto.bedrockruntime.urls", "url_paths[]")
FIXES = (_URL_PATHS,)
SPEEDUPS: tuple[Target, ...] = ()

_patcher = Patcher(FIXES, SPEEDUPS)


def install() -> None:
    if _patcher.installed:
        return
    _patcher.add_entry(_URL_PATHS, bedrock_local.CONVERSE_PATH, bedrock_local.converse_route, first=True)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()
