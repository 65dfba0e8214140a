"""boto3's default session (boto3 and ``pins.PINNED["botocore"]``, 1.44.5): one speed-up, no fix.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``boto3.setup_default_session``. moto makes boto3 start a new
default session at every runtime start (``mock_aws`` sets ``boto3.DEFAULT_SESSION`` to None while it runs), and a
new session's first clients read botocore's data files again: the service models, endpoints, partitions and
endpoint rule sets, and the listing of its data directories. Here the default session made while a runtime runs is
a new session as boto3 makes it (its own credentials, configuration and event handlers) whose data loader is one
kept for the process, per data path (``botocore.session.Session.register_component``, botocore's way to give a
session a component), so the files are read once per process: a runtime's start after the first in a process (a
test session) 0.50 -> 0.29 s of CPU. ``warm`` reads a list of services' files ahead, into the kept loader: a server
forked from the process that did (``duoflow serve --reload``'s supervisor, the kill tier's fork server) finds them
read (duoflow/reloader.py; a server forked by ``--reload`` imports this module anew and is handed the kept loaders:
``kept_loaders``, ``take_over``). A default session asked for with arguments is boto3's own.

Guarded by tests/runtime/test_speedups.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("botocore",)  # boto3 is released in step with botocore: 1.44.5 both

_SETUP_DEFAULT_SESSION = Target("boto3", "setup_default_session")
FIXES: tuple[Target, ...] = ()
SPEEDUPS = (_SETUP_DEFAULT_SESSION,)

_patcher = Patcher(FIXES, SPEEDUPS)
_loaders: dict[str | None, Any] = {}  # data path (AWS_DATA_PATH) -> the botocore Loader kept for it
_loaders_lock = threading.Lock()


def install(speedups: bool) -> None:
    if _patcher.installed:
        return
    if speedups:
        _install_kept_loader()
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


def session_with_kept_loader() -> Any:
    """A new boto3 session, as ``boto3.Session()`` makes it, reading botocore's data files through the loader kept
    for its data path."""
    import boto3
    import botocore.loaders
    import botocore.session

    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    with _loaders_lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _loaders[data_path] = botocore.loaders.create_loader(data_path)
        core.register_component("data_loader", loader)
        session = boto3.Session(botocore_session=core)
        # boto3 adds its own data directory to the loader's search path with every session: once is enough
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


def kept_loaders() -> dict[str | None, Any]:
    """The loaders kept so far, by data path: what a server forked by ``serve --reload`` hands to this module once
    it has imported it anew (it forgets the project's modules, this one too: duoflow/reloader.py)."""
    with _loaders_lock:
        return dict(_loaders)


def take_over(loaders: dict[str | None, Any]) -> None:
    with _loaders_lock:
        for data_path, loader in loaders.items():
            _loaders.setdefault(data_path, loader)


def warm(services: Iterable[str]) -> None:
    """Read ``services``' data files into the kept loader: what making a client of each reads (in any region: the
    files are the same; with credentials of its own, so the session resolves none)."""
    session = session_with_kept_loader()
    for service in services:
        session.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="warm",
            aws_secret_access_key="warm",
            aws_session_token="-",
        )


def _install_kept_loader() -> None:
    import boto3

    setup = boto3.setup_default_session

    def setup_default_session(**kwargs: Any) -> None:
        if kwargs:
            setup(**kwargs)
        else:
            boto3.DEFAULT_SESSION = session_with_kept_loader()

    _patcher.replace(_SETUP_DEFAULT_SESSION, setup_default_session)
