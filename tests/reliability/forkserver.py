"""Starts ``duoflow serve`` processes for the kill-at-every-step tier by forking one that has already imported what a
server imports, so each of the tier's ~90 server starts does not import moto, botocore, the durable SDKs and the
project again (about half of a start). What runs in the forked process is the same ``duoflow serve`` a user starts:
the same command line, environment, working directory and output file.

Run as ``python -m tests.reliability.forkserver`` with the environment the servers share; it reads one JSON request
per line on stdin and answers one JSON line on stdout:

    {"start": {"args": [...], "env": {...}, "output": "server.log"}}  ->  {"pid": 123}
    {"status": 123}                                                    ->  {"returncode": null | int}

It stops when stdin closes; each server it started gets SIGTERM if it stops first (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import json
import os
import sys

from duoflow.reloader import preload_server_imports, run_cli, terminate_with_parent
from duoflow.runtime import crash_points
from tests.reliability.server import ROOT


def run_server(request: dict) -> int:
    """In the forked process: become ``python -m duoflow.cli <args>`` with ``env``, writing to ``output``."""
    terminate_with_parent()
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(ROOT)
    crash_points.read_setting()  # DUOFLOW_CRASH_AFTER is this server's own
    return run_cli(request["args"])


def main() -> None:
    preload_server_imports()  # as `duoflow serve --reload` does before it forks a server
    exited: dict[int, int] = {}
    for line in sys.stdin:
        request = json.loads(line)
        while True:  # reap what has ended, so a status is known and no zombie stays
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            exited[pid] = os.waitstatus_to_exitcode(status)
        if "start" in request:
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = run_server(request["start"])
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            answer: dict = {"pid": pid}
        else:
            answer = {"returncode": exited.get(request["status"])}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
