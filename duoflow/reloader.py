"""`duoflow serve --reload`: a supervisor that runs the server as a child process and restarts it when the code
changes, on the same state directory and port, so executions carry on on the new code. Files are polled
(standard library only). Where it can, the supervisor imports the libraries a server uses once and forks each
server from itself; the forked server imports the project's code afresh (a restart: ~3.5 s -> ~2 s from the save
to the first answer here; 1.5-1.8 s on 2026-12-04, up to half a second of it the file poll; on 2026-12-05's
machine 2.45 s -> 1.5 s once the state machines' parsed programs were kept on disk, runtime/patches/_asl_programs.py)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from duoflow.terminal import err, exit_code

if TYPE_CHECKING:
    import socket

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("domain", "durable", "services", "duoflow", "statemachines")
RELOAD_SUFFIXES = (".py", ".json")
RELOAD_POLL_SECONDS = 0.5
CHILD_STOP_SECONDS = 60.0  # a graceful stop is a few seconds; past this the old server is killed (SIGKILL)


def code_folders() -> list[Path]:
    return [PROJECT_ROOT / name for name in CODE_FOLDERS if (PROJECT_ROOT / name).is_dir()]


def code_snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """Every .py and .json file under the folders, with its modification time and size."""
    files = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = [
                name for name in dirs if not name.startswith(".") and name not in ("__pycache__", "node_modules")
            ]
            for name in names:
                if name.endswith(RELOAD_SUFFIXES):
                    path = os.path.join(root, name)
                    try:
                        stat = os.stat(path)
                    except FileNotFoundError:  # deleted while walking
                        continue
                    files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def what_changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> str:
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    shown = []
    for path in changed[:3]:
        try:
            shown.append(str(Path(path).relative_to(PROJECT_ROOT)))
        except ValueError:
            shown.append(path)
    return ", ".join(shown) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")


def supervise(sock: socket.socket, lock: int, options: list[str], folders: list[Path], aws_sock: socket.socket) -> int:
    """Run ``duoflow serve`` (the same options, without --reload) as a child process, and restart it when a
    watched file changes; returns the exit code. The supervisor holds the state directory's lock and the listening
    socket and hands both to each child, so no other server takes the state while one restarts, the port stays
    the same (the AWS endpoint's too: ``aws_sock``), and a request made during a restart waits instead of failing. The child is stopped with SIGTERM
    (gracefully); one that does not stop within CHILD_STOP_SECONDS is killed. Ctrl-C or SIGTERM stops the child,
    then the supervisor; a second one kills the child."""
    command = [sys.executable, "-m", "duoflow.cli", "serve", *options]
    command += ["--socket-fd", str(sock.fileno()), "--lock-fd", str(lock), "--aws-socket-fd", str(aws_sock.fileno())]
    fds = (sock.fileno(), lock, aws_sock.fileno())
    warm = preload_server_imports()
    stops: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stops.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        err.print(
            f"reload: watching {', '.join(escape(str(folder)) for folder in folders)} (.py, .json); "
            "the server restarts when a file changes",
            soft_wrap=True,
        )
        snapshot = code_snapshot(folders)
        child = _start_child(command, fds, warm, folders)
        reported_exit = False
        next_scan = time.monotonic() + RELOAD_POLL_SECONDS
        while not stops:
            if child.poll() is not None and not reported_exit:
                err.print(f"reload: the server exited ({child.returncode}); it starts again when a file changes")
                reported_exit = True
            time.sleep(0.05)
            if time.monotonic() < next_scan:
                continue
            current = code_snapshot(folders)
            next_scan = time.monotonic() + RELOAD_POLL_SECONDS
            if current == snapshot:
                continue
            time.sleep(0.2)  # an editor's save can be several writes: take them all in one restart
            current, changed = code_snapshot(folders), what_changed(snapshot, current)
            snapshot = current
            err.print(f"reload: {escape(changed)} changed; restarting the server on the same state", soft_wrap=True)
            _stop_child(child, stops)
            if stops:
                break
            child = _start_child(command, fds, warm, folders)
            reported_exit = False
        code = _stop_child(child, stops)
        return 0 if code is None else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        aws_sock.close()
        os.close(lock)


def preload_server_imports() -> bool:
    """Import what a server imports, so that each server can be forked from this process with the libraries
    (moto, botocore, the durable SDKs, the web server: about half of a server's start) already loaded. The project's
    own modules are imported here too (they pull the libraries in) but each forked server drops them and imports
    them again: they are what changes. False where fork is not available (the server is then a new interpreter)."""
    if not hasattr(os, "fork"):
        return False
    import importlib

    try:
        from duoflow.runtime.patches import moto_stepfunctions, speedups_enabled

        if speedups_enabled():
            moto_stepfunctions._defer_moto_batch()  # before moto's ASL interpreter loads, as the speed-up does
        for name in WARM_MODULES:
            importlib.import_module(name)
        read_library_data()
    except Exception:  # noqa: BLE001 - the code being edited does not import: each server says why, as before
        return False
    # What is loaded now lives as long as every server forked from here: out of the collector's sight, so a server's
    # collections (a full one as its runtime settles) do not walk it again, nor write to the pages it shares with
    # this process (gc.freeze's documented use before a fork).
    gc.collect()
    gc.freeze()
    return True


# What `duoflow serve` imports before it answers; none of it starts a thread (a process with threads must not fork).
# The others are what a server's start imports on demand: moto's request routing and responses of each service, its
# Step Functions backend, Bedrock's and STS's models, jsonata, boto3's S3 helpers, Powertools' idempotency, the web
# server's protocol and event-loop modules. A forked runtime's start took 0.39-0.45 s of CPU with them left to it,
# 0.30-0.32 s without (tests/cli/test_reload.py checks that a start imports no library module left out).
WARM_MODULES = (
    "duoflow.cli",
    "duoflow.serving",
    "duoflow.runtime.runtime",
    "duoflow.console.server",
    "moto.stepfunctions.parser.asl.parse.asl_parser",
    "moto.stepfunctions.parser.models",
    "moto.stepfunctions.parser.asl.static_analyser.static_analyser",
    *(
        f"moto.{service}.{part}"
        for service in ("awslambda", "dynamodb", "s3", "sns", "stepfunctions")
        for part in ("urls", "responses")
    ),
    "moto.awslambda_simple.models",
    "moto.bedrockruntime.urls",
    "moto.dynamodb.parsing.key_condition_expression",
    "moto.iam.access_control",
    "moto.s3bucket_path.utils",
    "moto.sts.models",
    "jsonata",
    "boto3.s3.inject",
    "antlr4.LL1Analyzer",
    # what the handlers import beyond what duoflow.cli does (the handlers themselves are the project's: a forked server
    # imports them anew, and a Powertools Logger must be made in the process that uses it)
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb",
    "aws_lambda_powertools.utilities.idempotency.serialization.no_op",
    "pydantic.dataclasses",
    # what the console's web server imports as it starts and answers its first request
    "anyio._backends._asyncio",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "uvicorn.lifespan.on",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
)
# A server's start reads libraries' data files and builds tables from them, each once per process: done here instead,
# once for every server forked from this process (a forked server's start: 0.68 -> 0.28 s of CPU).
# - moto reads a service's botocore model (JSON, its data directories listed again for each) on the first response of
#   that service it serializes (tests/cli/test_reload.py checks that a start reads no other);
# - the runtime's boto3 clients read botocore's models, endpoints and rule sets through the loader kept for the
#   process (patches/boto3_session.py);
# - moto lists the regions of each service whose backend it makes, through a botocore session of its own (the
#   endpoints, and each service's model for its endpoint prefix: WARM_REGIONS, the services whose backends a start makes);
# - moto builds Lambda's URL router (werkzeug rules compiled) on its first request.
WARM_SERVICE_MODELS = ("dynamodb", "lambda", "s3", "sns", "stepfunctions")
WARM_CLIENTS = (*WARM_SERVICE_MODELS, "sts")
WARM_REGIONS = (*WARM_SERVICE_MODELS, "sts", "iam", "dynamodbstreams", "bedrock-runtime")


def read_library_data() -> None:
    """What a server's start reads and builds of the libraries' data (the list above), read and built here."""
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.routing import get_service_router
    from moto.core.utils import get_service_model

    from duoflow.runtime.patches import boto3_session

    for service in WARM_SERVICE_MODELS:
        get_service_model(service)  # cached for the process, so for every server forked from it
    boto3_session.warm(WARM_CLIENTS)
    regions = AccountSpecificBackend.get_session()  # moto's, made once per process
    for partition in regions.get_available_partitions():
        for service in WARM_REGIONS:
            regions.get_available_regions(service, partition_name=partition)
    get_service_router("lambda")._get_router("rest-json")


class _ForkedServer:
    """A server forked from the supervisor: the part of ``subprocess.Popen`` the supervisor uses."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _project_module(module: object, roots: tuple[str, ...]) -> bool:
    """A module of the project or of a watched folder (not an installed library, even one in the project's .venv)."""
    path = getattr(module, "__file__", None) or ""
    return any(path.startswith(root) for root in roots) and f"{os.sep}site-packages{os.sep}" not in path


def _run_forked(command: list[str], folders: list[Path]) -> int:
    """In the forked server: forget the project's modules (the code may have changed) and run ``command`` here."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    forget_project_modules(folders)
    return run_cli(command[3:])  # python -m duoflow.cli serve ...


# The project module that keeps library data for the process (botocore's loaders, read before forking): forgotten
# with the others, it is imported anew and handed what the old one kept.
KEEPS_LIBRARY_DATA = "duoflow.runtime.patches.boto3_session"


def forget_project_modules(folders: list[Path]) -> None:
    """Drop the project's modules (and those of ``folders``) from ``sys.modules``, so the server imports its code as
    it is now; the library data one of them keeps (``KEEPS_LIBRARY_DATA``) is handed to it imported anew."""
    roots = tuple(f"{folder}{os.sep}" for folder in {PROJECT_ROOT, *folders})
    keeper = sys.modules.get(KEEPS_LIBRARY_DATA)
    kept = keeper.kept_loaders() if keeper is not None else {}
    for name, module in list(sys.modules.items()):
        if name != "__main__" and _project_module(module, roots):  # __main__: the supervisor's own command
            del sys.modules[name]
    if kept:
        import importlib

        try:
            importlib.import_module(KEEPS_LIBRARY_DATA).take_over(kept)
        except Exception:  # noqa: BLE001 - the code being edited does not import: the server says why, as before
            pass


def run_cli(args: list[str]) -> int:
    """``duoflow <args>`` in this process (a forked one): its exit code, as a new interpreter would exit."""
    sys.argv = ["duoflow", *args]
    from duoflow.cli import app

    try:
        app()
    except SystemExit as done:
        return exit_code(done)
    return 0


def _start_child(command: list[str], fds: tuple[int, ...], warm: bool, folders: list[Path]) -> Any:
    if warm:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            return _ForkedServer(pid)
        code = 1
        try:
            os.setsid()  # as start_new_session below
            terminate_with_parent()
            code = _run_forked(command, folders)
        except BaseException:  # what a new interpreter would print before exiting 1
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    parent = os.getpid()

    def in_child() -> None:
        # Its own session, so a Ctrl-C in the terminal reaches the supervisor only (which stops the child once);
        # and on Linux the child gets SIGTERM if the supervisor dies, instead of running on without it.
        terminate_with_parent()
        if os.getppid() != parent:
            os._exit(1)

    return subprocess.Popen(command, pass_fds=fds, start_new_session=True, preexec_fn=in_child)


def terminate_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        pass


def _stop_child(child: subprocess.Popen, stops: list[int]) -> int | None:
    """Stop the child gracefully (SIGTERM); kill it if it takes too long or another stop signal comes. Its exit
    code; None if it had already exited."""
    if child.poll() is not None:
        return None
    signals_before = len(stops)
    child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    while True:
        try:
            return child.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            if len(stops) > max(signals_before, 1) or time.monotonic() > deadline:
                err.print("reload: the server did not stop; killing it (its state is safe: it is on disk)")
                child.kill()
                return child.wait()
