"""`duoflow serve` in the foreground: the listening socket, the local runtime on the state directory, the console
answering on it (duoflow/console/server.py) until Ctrl-C or SIGTERM, and what is printed on the way."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from duoflow.function_logs import function_logs_file
from duoflow.terminal import err, main_thread, out, sigterm_as_ctrl_c

if TYPE_CHECKING:
    from duoflow.runtime import TimeControl
    from duoflow.runtime.sfn_mocks import MockConfig


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening (port 0: any free one) before the runtime starts: a taken port
    is reported at once, and a request made while the runtime starts waits in the backlog instead of failing."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    # The same socket with its protocol named. asyncio (under uvicorn) sets TCP_NODELAY on a connection only when
    # the listening socket says IPPROTO_TCP, and create_server's says 0: every console answer (headers, then body)
    # then waited up to 40 ms for a keep-alive client's delayed acknowledgement (Nagle's algorithm), 44 ms a request.
    return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=sock.detach())


def handed_down(socket_fd: int, lock_fd: int, aws_socket_fd: int) -> tuple[socket.socket, int, socket.socket]:
    """The listening sockets (console, AWS endpoint) and the state directory's lock a --reload supervisor
    (duoflow/reloader.py) passed to this server, kept from this server's own children."""
    for fd in (socket_fd, lock_fd, aws_socket_fd):
        os.set_inheritable(fd, False)
    return socket.socket(fileno=socket_fd), lock_fd, socket.socket(fileno=aws_socket_fd)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_server(
    sock: socket.socket,
    host: str,
    state_dir: Path,
    time_control: TimeControl,
    aws_sock: socket.socket,
    log_level: str = "INFO",
    functions: frozenset[str] = frozenset(),
    mock_config: MockConfig | None = None,
) -> None:
    """Start the runtime on ``state_dir``, print the console's address and a token per role, serve the runtime's
    AWS APIs on ``aws_sock`` (duoflow/runtime/aws_endpoint.py) and print its URL, answer on ``sock`` until Ctrl-C or
    SIGTERM, stop the runtime (and with it the AWS endpoint). Both sockets are closed on return. While it runs, an
    access line per API request and the functions' lines at ``log_level`` or above (of ``functions`` only, if any)
    are printed (duoflow/live_log.py). ``mock_config``: Step Functions Local's test cases, started on
    ``arn#TestCase`` (duoflow/runtime/sfn_mocks.py)."""
    from duoflow.console.server import serve_forever
    from duoflow.console.tokens import ROLE_PAGES, ROLE_USERS, TokenSigner
    from duoflow.live_log import LivePrinter, access_lines_to
    from duoflow.stack import local_stack

    signer = TokenSigner.kept_in(state_dir)
    printer = LivePrinter(lambda line: out.print(line, soft_wrap=True, highlight=False), log_level, functions)
    port = sock.getsockname()[1]
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    # Until the server takes the signals over (and after), SIGTERM unwinds like Ctrl-C: the runtime stops.
    restore_sigterm = sigterm_as_ctrl_c() if main_thread() else None
    try:
        try:
            with err.status("starting the local runtime…"):
                stack = local_stack(
                    time_control,
                    state_dir=state_dir,
                    function_logs=function_logs_file(state_dir),
                    on_function_line=printer.function_line,
                    mock_config=mock_config,
                )
                runtime = stack.__enter__()
        except KeyboardInterrupt:
            err.print("stopped while starting")
            return
        try:
            aws_url = runtime.serve_aws(aws_sock)
            out.print(f"[bold]duoflow console[/bold]  {url}")
            out.print(f"aws endpoint: {aws_url}")
            out.print(
                f"  AWS_ENDPOINT_URL={aws_url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
                f"AWS_DEFAULT_REGION={runtime.region} aws stepfunctions list-state-machines",
                soft_wrap=True,
            )
            out.print(
                f"state: {escape(str(state_dir))} (kept across restarts; --fresh or `duoflow state clear` forgets it)",
                soft_wrap=True,
            )
            out.print(
                f"function logs: {escape(str(function_logs_file(state_dir)))} (JSON lines; tail -f follows them)",
                soft_wrap=True,
            )
            if mock_config is not None:
                out.print(
                    f"mock config: {escape(mock_config.source)} ({mock_config.summary()}); start an execution on "
                    "stateMachineArn#TestCase to run one",
                    soft_wrap=True,
                )
            if (resumed := _resumed_text(getattr(runtime, "resumed", None))) is not None:
                out.print(f"resumed: {escape(resumed)}", soft_wrap=True)
            out.print(
                f"time ×{time_control.scale} (waits), ×{time_control.timeouts} (timeouts); tokens stay valid "
                f"across restarts for {signer.ttl_seconds // 3600} hours (clearing the state revokes them)",
                soft_wrap=True,
            )
            # One print: the executions resumed above already log through ``out``, and a function's line must not
            # land between a role's name and its token.
            tokens = []
            for role, token in signer.role_tokens().items():
                username, name = ROLE_USERS[role]
                tokens += [f"\n[bold]{role}[/bold] token ({name}):", token]
                tokens.append(f"sign in as {role}: {url}/#/{ROLE_PAGES[role]}?token={token}")
            out.print("\n".join([*tokens, "\nCtrl-C stops the server."]), soft_wrap=True)
            with access_lines_to(printer):
                serve_forever(runtime, signer, sock)
        except KeyboardInterrupt:
            pass  # SIGTERM or Ctrl-C before the server took the signals over
        finally:
            if restore_sigterm is not None:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already; a kill -9 still ends it at once
            with err.status("stopping the local runtime…"):
                stack.__exit__(None, None, None)
        out.print(f"stopped; the state is in {escape(str(state_dir))}", soft_wrap=True)
    finally:
        sock.close()
        aws_sock.close()
        if restore_sigterm is not None:
            restore_sigterm()


def _resumed_text(resumed: object) -> str | None:
    """What the runtime resumed from the state directory (``runtime.resumed``: counts by kind), as one line."""
    if resumed is None:
        return None
    if isinstance(resumed, Mapping):
        parts = [f"{count} {kind}" for kind, count in resumed.items() if count]
        return ", ".join(parts) if parts else "nothing (an empty state)"
    return str(resumed)
