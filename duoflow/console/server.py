"""Serving the console: in the foreground (``duoflow serve``) or on a background thread (tests)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from duoflow.console.app import create_app
from duoflow.console.tokens import TokenSigner
from duoflow.runtime import LocalRuntime


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# A stop signal lets the requests being answered finish for at most this long; then they are cancelled.
GRACEFUL_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn's server, except that a stop signal (SIGINT, SIGTERM) only stops it, and says which signal it was.
    uvicorn itself raises the signal again once it has stopped, to end the process the signal's default way:
    SIGTERM would kill the process before the caller could stop the runtime, and SIGINT would end it in a
    KeyboardInterrupt (exit 130)."""

    stopped_by: int | None = None

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.stopped_by is None:
            self.stopped_by = sig
        super().handle_exit(sig, frame)  # a second Ctrl-C stops waiting for the requests being answered


def _server(runtime: LocalRuntime, signer: TokenSigner, host: str, port: int) -> _Server:
    config = uvicorn.Config(
        create_app(runtime, signer, listen_host=host),  # Host values: this address and the loopback names
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    return _Server(config)


def serve_forever(runtime: LocalRuntime, signer: TokenSigner, sock: socket.socket) -> int | None:
    """Answer on ``sock`` (a listening socket) until SIGINT or SIGTERM; returns that signal. On the signal it
    stops accepting connections, lets the requests being answered finish (at most ``GRACEFUL_SECONDS``) and
    returns: stopping the runtime is the caller's. The socket is closed on return."""
    host, port = sock.getsockname()[:2]
    server = _server(runtime, signer, host, port)
    server.run(sockets=[sock])
    return server.stopped_by


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
