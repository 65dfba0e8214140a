"""Serving the console: in the foreground (``duoflow serve``) or on a background thread (tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from duoflow.console.app import create_app
from duoflow.console.tokens import TokenSigner
from duoflow.runtime import LocalRuntime


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _server(runtime: LocalRuntime, signer: TokenSigner, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(create_app(runtime, signer), host=host, port=port, log_level="warning", access_log=False)
    return uvicorn.Server(config)


def serve_forever(runtime: LocalRuntime, signer: TokenSigner, host: str, port: int) -> None:
    _server(runtime, signer, host, port).run()


@contextmanager
def running_console(
    runtime: LocalRuntime, signer: TokenSigner, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[str]:
    """The console on a thread; yields its base URL once it accepts connections."""
    server = _server(runtime, signer, host, port or free_port(host))
    thread = threading.Thread(target=server.run, name="duoflow-console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
